package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_SIXTEENTH;

/**
 * RWKV-7 WKV for one token ({@code KernelBackend#wkv7}): per head and value row i,
 * {@code sa = Σ_j S[i][j]·a_j}, {@code S[i][j] ← S[i][j]·w_j + sa·b_j + v_i·k_j}, {@code y_i = Σ_j S[i][j]·r_j}.
 *
 * <p>Vectorized over the key index j along a state row. The element updates are the reference's operations in its
 * order (no fused multiply-add), so the state rows match it given the same {@code sa}; the two dot products sum
 * lanewise and then by the rotate-and-add tree of {@link VectorShapes}, a different order from the reference's running
 * sum, within float rounding of it.
 */
final class Wkv7 {
    private Wkv7() {
    }

    static void apply(int heads, int s, float[] r, float[] w, float[] k, float[] v, float[] a, float[] b, int off,
                      float[] state, int stateOff, float[] out) {
        int bound = F.loopBound(s);
        for (int h = 0; h < heads; h++) {
            int ho = off + h * s;
            int so = stateOff + h * s * s;
            for (int i = 0; i < s; i++) {
                int row = so + i * s;
                float sa = FloatDots.dot(state, row, a, ho, s);
                float vi = v[ho + i];
                FloatVector y = FloatVector.zero(F);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector nv = FloatVector.fromArray(F, state, row + j).mul(FloatVector.fromArray(F, w, ho + j))
                            .add(FloatVector.fromArray(F, b, ho + j).mul(sa))
                            .add(FloatVector.fromArray(F, k, ho + j).mul(vi));
                    nv.intoArray(state, row + j);
                    y = nv.fma(FloatVector.fromArray(F, r, ho + j), y);
                }
                y = y.add(y.rearrange(ROT_HALF));
                y = y.add(y.rearrange(ROT_QUARTER));
                y = y.add(y.rearrange(ROT_EIGHTH));
                if (L >= 16) {
                    y = y.add(y.rearrange(ROT_SIXTEENTH));
                }
                float yi = y.lane(0);
                for (; j < s; j++) {
                    float nv = state[row + j] * w[ho + j] + sa * b[ho + j] + vi * k[ho + j];
                    state[row + j] = nv;
                    yi += nv * r[ho + j];
                }
                out[ho + i] = yi;
            }
        }
    }
}
