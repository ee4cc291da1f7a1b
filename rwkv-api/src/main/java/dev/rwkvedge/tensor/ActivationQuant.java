package dev.rwkvedge.tensor;

/**
 * Quantization of an activation vector to ggml's Q8_0 / Q8_1 blocks before a product with quantized weights, as
 * ggml's x86 path does ({@code quantize_row_q8_0}/{@code quantize_row_q8_1}; RWKV-MATH.md §7):
 * <pre>
 * per 32-block:  amax = max|x|,  d = amax/127 (stored as binary16),  id = 127/amax (0 if amax = 0)
 *                q_j = round-half-even(x_j·id)          (the AVX rounding mode; the C reference rounds away)
 *                s   = binary16(d·Σq_j)                 (Q8_1 only, used with the weights' minimum m)
 * </pre>
 * Reproducing this rounding is what lets quantized models match rwkv.cpp's logits closely.
 */
public final class ActivationQuant {
    private ActivationQuant() {
    }

    /**
     * Quantizes {@code len} values of {@code x} from {@code off} ({@code len} a multiple of 32) into {@code q}
     * (int8 per element), {@code d} (scale per block, already rounded through binary16) and, when {@code s} is not
     * null, {@code s} (binary16-rounded d·Σq per block).
     */
    public static void quantize(float[] x, int off, int len, byte[] q, float[] d, float[] s) {
        int blocks = len / GgmlBlocks.QK;
        for (int b = 0; b < blocks; b++) {
            int base = off + b * GgmlBlocks.QK;
            float amax = 0;
            for (int j = 0; j < GgmlBlocks.QK; j++) {
                amax = Math.max(amax, Math.abs(x[base + j]));
            }
            float scale = amax / 127.0f;
            float id = amax != 0 ? 127.0f / amax : 0.0f;
            int sum = 0;
            for (int j = 0; j < GgmlBlocks.QK; j++) {
                int v = (int) Math.rint(x[base + j] * id);
                q[b * GgmlBlocks.QK + j] = (byte) v;
                sum += v;
            }
            d[b] = Half.roundToF16(scale);
            if (s != null) {
                s[b] = Half.roundToF16(scale * sum);
            }
        }
    }
}
