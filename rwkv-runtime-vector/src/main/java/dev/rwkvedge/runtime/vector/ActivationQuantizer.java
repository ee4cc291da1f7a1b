package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * ggml's activation quantization to Q8_0 / Q8_1 blocks, bit for bit as {@link dev.rwkvedge.tensor.ActivationQuant}
 * (RWKV-MATH.md §7), vectorized, with the quants written as floats for {@link BlockDots}:
 * <pre>
 * per 32-block:  amax = max|x|,  d = binary16(amax/127),  id = 127/amax (0 if amax = 0)
 *                q_j = round-half-even(x_j·id)        s = binary16((amax/127)·Σq_j)   (Q8_1 only)
 * </pre>
 * Rounding uses the 1.5·2^23 trick: adding and subtracting it leaves x rounded to an integer in the current
 * (nearest-even) mode for |x| &lt; 2^22, here |x·id| ≤ 127, exactly what {@link Math#rint} and the AVX
 * {@code _mm256_round_ps(…, _MM_ROUND_NEAREST)} give. max and the integer sum are exact in any order.
 */
final class ActivationQuantizer {
    private static final float ROUND = 12582912f;

    private ActivationQuantizer() {
    }

    /**
     * Quantizes {@code x[off..off+len)} ({@code len} a multiple of 32) into {@code xq[qOff..]} (integer-valued
     * floats), {@code dx[dOff..]} and, when {@code sx} is not null, {@code sx[dOff..]}.
     */
    static void quantize(float[] x, int off, int len, float[] xq, int qOff, float[] dx, float[] sx, int dOff) {
        int blocks = len / BlockDots.QK;
        for (int b = 0; b < blocks; b++) {
            int base = off + b * BlockDots.QK;
            FloatVector m = FloatVector.zero(F);
            for (int j = 0; j < BlockDots.QK; j += L) {
                m = m.max(FloatVector.fromArray(F, x, base + j).abs());
            }
            float amax = m.reduceLanes(VectorOperators.MAX);
            float scale = amax / 127.0f;
            float id = amax != 0 ? 127.0f / amax : 0.0f;
            FloatVector sum = FloatVector.zero(F);
            int q = qOff + b * BlockDots.QK;
            for (int j = 0; j < BlockDots.QK; j += L) {
                FloatVector r = FloatVector.fromArray(F, x, base + j).mul(id).add(ROUND).sub(ROUND);
                r.intoArray(xq, q + j);
                sum = sum.add(r);
            }
            dx[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(scale));
            if (sx != null) {
                float s = sum.reduceLanes(VectorOperators.ADD);
                sx[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(scale * s));
            }
        }
    }
}
