package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.ActivationQuant;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Products of every dtype against a float64 evaluation of the contract in {@link KernelBackend}: dequantized
 * weights times the activation as ggml rounds it (binary16 for F16, Q8_0/Q8_1 blocks for block types).
 */
class ScalarKernelsTest {
    private final KernelBackend be = new ScalarBackendProvider().create(1);

    static Tensor make(DType type, float[] w, int rows, int cols) {
        MemorySegment seg;
        switch (type) {
            case F32 -> seg = MemorySegment.ofArray(w.clone());
            case F16, BF16 -> {
                short[] h = new short[w.length];
                for (int i = 0; i < w.length; i++) {
                    h[i] = type == DType.F16 ? Half.floatToF16(w[i]) : Half.floatToBf16(w[i]);
                }
                seg = MemorySegment.ofArray(h);
            }
            default -> {
                byte[] b = new byte[(int) type.byteSize(w.length)];
                for (int blk = 0; blk < w.length / 32; blk++) {
                    GgmlBlocks.quantizeBlock(type, w, blk * 32, b, blk * type.blockBytes());
                }
                seg = MemorySegment.ofArray(b);
            }
        }
        return new Tensor("w", type, new long[] {rows, cols}, seg);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"})
    void matmulFollowsContract(DType type) {
        int rows = 37;
        int cols = 96;
        int n = 3;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Tensor t = make(type, w, rows, cols);
        float[] out = new float[n * rows];
        be.matmul(t, x, 0, out, 0, n);
        float[] wd = t.toFloatArray();
        for (int tok = 0; tok < n; tok++) {
            double[] xa = activation(type, x, tok * cols, cols);
            boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int i = 0; i < cols; i++) {
                    expected += (double) wd[r * cols + i] * xa[i];
                }
                if (withMin) {
                    // Q8_1: the minimum term uses s = binary16(d·Σq) rather than the exact Σ x.
                    expected += minCorrection(t, r, x, tok * cols, cols);
                }
                assertEquals(expected, out[tok * rows + r], 1e-4 * Math.sqrt(cols), type + " row " + r + " token " + tok);
            }
        }
        float[] single = new float[rows];
        be.matmul(t, x, cols, single, 0, 1);
        for (int r = 0; r < rows; r++) {
            assertEquals(out[rows + r], single[r], 0.0f, "sequence product equals single-token product bit for bit");
        }
    }

    /** The activation as the contract says the weights see it. */
    private static double[] activation(DType type, float[] x, int off, int len) {
        double[] out = new double[len];
        switch (type) {
            case F32, BF16 -> {
                for (int i = 0; i < len; i++) {
                    out[i] = x[off + i];
                }
            }
            case F16 -> {
                for (int i = 0; i < len; i++) {
                    out[i] = Half.roundToF16(x[off + i]);
                }
            }
            default -> {
                byte[] q = new byte[len];
                float[] d = new float[len / 32];
                ActivationQuant.quantize(x, off, len, q, d, null);
                for (int i = 0; i < len; i++) {
                    out[i] = q[i] * (double) d[i / 32];
                }
            }
        }
        return out;
    }

    /** For Q4_1/Q5_1: Σ_blocks m·(s − d·Σq), the difference between the Q8_1 sum term and the dequantized one. */
    private static double minCorrection(Tensor t, int row, float[] x, int off, int len) {
        byte[] q = new byte[len];
        float[] d = new float[len / 32];
        float[] s = new float[len / 32];
        ActivationQuant.quantize(x, off, len, q, d, s);
        double c = 0;
        for (int b = 0; b < len / 32; b++) {
            long boff = row * t.rowBytes() + (long) b * t.dtype().blockBytes();
            double m = GgmlBlocks.blockMin(t.data(), boff);
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                sum += q[b * 32 + j];
            }
            c += m * (s[b] - (double) d[b] * sum);
        }
        return c;
    }

    @Test
    void layerNormAndGroupNorm() {
        float[] x = {1, 2, 3, 4, 10, 10, 10, 14};
        float[] w = {1, 1, 1, 1, 2, 2, 2, 2};
        float[] b = {0, 0, 0, 0, 1, 1, 1, 1};
        float[] out = new float[8];
        be.groupNorm(x, 0, out, 0, 8, 2, w, b, 0f);
        double sd = Math.sqrt(1.25);
        assertEquals(-1.5 / sd, out[0], 1e-6);
        assertEquals(1.5 / sd, out[3], 1e-6);
        assertEquals(2 * (-1 / Math.sqrt(3)) + 1, out[4], 1e-6);
        assertEquals(2 * (3 / Math.sqrt(3)) + 1, out[7], 1e-6);
        be.layerNorm(x, 4, out, 0, 4, new float[] {1, 1, 1, 1}, new float[4], 1e-5f);
        assertEquals(-1 / Math.sqrt(3 + 1e-5), out[0], 1e-6);
    }

    @Test
    void wkv7ByHand() {
        // One head of size 2, state S (value × key) = [[1, 2], [3, 4]].
        float[] state = {1, 2, 3, 4};
        float[] r = {1, 0.5f};
        float[] w = {0.5f, 0.25f};
        float[] k = {1, 2};
        float[] v = {3, -1};
        float[] a = {-1, 0};
        float[] b = {0.5f, 0.5f};
        float[] y = new float[2];
        be.wkv7(1, 2, r, w, k, v, a, b, 0, state, 0, y);
        // Row 0: sa = −1; S0 = [0.5 − 0.5 + 3, 0.5 − 0.5 + 6] = [3, 6]; y0 = 3 + 3 = 6.
        // Row 1: sa = −3; S1 = [1.5 − 1.5 − 1, 1 − 1.5 − 2] = [−1, −2.5]; y1 = −1 − 1.25 = −2.25.
        assertEquals(3f, state[0]);
        assertEquals(6f, state[1]);
        assertEquals(-1f, state[2]);
        assertEquals(-2.5f, state[3]);
        assertEquals(6f, y[0]);
        assertEquals(-2.25f, y[1]);
    }
}
