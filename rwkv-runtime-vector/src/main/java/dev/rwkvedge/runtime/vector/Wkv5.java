package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * RWKV-5/6 WKV for one token (RWKV-MATH.md §6; {@code KernelBackend#wkv5}): per head,
 * {@code y_j = Σ_i r_i·(u_i·k_i·v_j + S[i][j])} and {@code S[i][j] ← w_i·S[i][j] + k_i·v_j}.
 *
 * <p>Vectorized over the value index j: a block of L outputs stays in a register while i runs over the key
 * index, reading and updating row i of the state. The operations and their order per element are the scalar
 * reference's (products and sums, no fused multiply-add; y_j summed over i in order), so the results are
 * bit-identical to it.
 */
final class Wkv5 {
    private Wkv5() {
    }

    static void apply(int heads, int s, float[] r, float[] k, float[] v, int off, float[] w, int wOff, float[] u,
                      float[] state, int stateOff, float[] out) {
        int bound = F.loopBound(s);
        for (int h = 0; h < heads; h++) {
            int ho = off + h * s;
            int uo = h * s;
            int wo = wOff + h * s;
            int so = stateOff + h * s * s;
            for (int j = 0; j < bound; j += L) {
                FloatVector vj = FloatVector.fromArray(F, v, ho + j);
                FloatVector y = FloatVector.zero(F);
                for (int i = 0; i < s; i++) {
                    int at = so + i * s + j;
                    FloatVector kv = vj.mul(k[ho + i]);
                    FloatVector prev = FloatVector.fromArray(F, state, at);
                    y = y.add(kv.mul(u[uo + i]).add(prev).mul(r[ho + i]));
                    prev.mul(w[wo + i]).add(kv).intoArray(state, at);
                }
                y.intoArray(out, ho + j);
            }
            for (int j = bound; j < s; j++) {
                float y = 0;
                for (int i = 0; i < s; i++) {
                    int at = so + i * s + j;
                    float kv = k[ho + i] * v[ho + j];
                    float prev = state[at];
                    y += r[ho + i] * (kv * u[uo + i] + prev);
                    state[at] = prev * w[wo + i] + kv;
                }
                out[ho + j] = y;
            }
        }
    }
}
