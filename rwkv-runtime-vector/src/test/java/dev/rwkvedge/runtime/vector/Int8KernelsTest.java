package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector backend's per-row INT8 product ({@link Int8Dots}) on awkward sizes (one element, one vector ±, odd rows,
 * 2^k + 1, not multiples of the vector length, the 2688×768 FFN key): against a float64 product with the weights
 * dequantized in the test from the raw codes and scales, against the scalar backend, and against the original float
 * weights within the quantization bound {@code |Δy_r| ≤ scale_r/2·Σ|x|}; sequence mode gives every token the bits of
 * the single-token product, and 2 or 3 threads the bits of 1. Q8_0 products stay within their bound too.
 */
class Int8KernelsTest extends ScalarAndVector {
    private static float[] weights(SplittableRandom rnd, int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            // Rows of different magnitudes, and an outlier in some, so scales differ from row to row.
            w[i] = (float) (rnd.nextGaussian() / Math.sqrt(cols) * (1 + (i / cols) % 3));
        }
        if (w.length > 3) {
            w[w.length / 2] *= 8;
        }
        return w;
    }

    /** The same tensor in 64-byte-aligned native memory (what a mapped file gives), scale included. */
    private static Tensor toNative(Tensor t, Arena arena) {
        MemorySegment seg = arena.allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize());
        seg.copyFrom(t.data());
        return new Tensor(t.name(), t.dtype(), t.shape(), seg).withRowScale(t.rowScale());
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,1", "1,16", "2,17", "3,15", "7,33", "5,257", "4,133", "17,768", "9,1031", "2688,768"})
    void int8ProductIsTheDequantizedProduct(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 7919L + cols);
        float[] w = weights(rnd, rows, cols);
        int n = 5;
        int xOff = 3;
        int outOff = 2;
        float[] x = new float[xOff + n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        try (Arena arena = Arena.ofShared()) {
            Tensor q = toNative(Int8Rows.quantize("w", w, rows, cols), arena);
            byte[] codes = q.data().toArray(ValueLayout.JAVA_BYTE);
            float[] scales = q.rowScale().toFloatArray();
            float[] got = new float[outOff + n * rows];
            float[] ref = new float[outOff + n * rows];
            vector1.matmul(q, x, xOff, got, outOff, n);
            scalar.matmul(q, x, xOff, ref, outOff, n);
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < rows; r++) {
                    double deq = 0;
                    double mag = 0;
                    double orig = 0;
                    double absX = 0;
                    for (int i = 0; i < cols; i++) {
                        double xi = x[xOff + t * cols + i];
                        double wi = (double) scales[r] * codes[r * cols + i];
                        deq += wi * xi;
                        mag += Math.abs(wi * xi);
                        orig += w[r * cols + i] * xi;
                        absX += Math.abs(xi);
                    }
                    float a = got[outOff + t * rows + r];
                    float s = ref[outOff + t * rows + r];
                    double tol = (cols + 2) * 0x1p-24 * mag + 1e-30;
                    String at = rows + "x" + cols + " token " + t + " row " + r;
                    assertTrue(Math.abs(a - deq) <= tol, at + ": vector " + a + " vs dequantized " + deq);
                    assertTrue(Math.abs(a - s) <= 2 * tol, at + ": vector " + a + " vs scalar " + s);
                    double bound = scales[r] / 2 * absX * (1 + 1e-6) + tol;
                    assertTrue(Math.abs(a - orig) <= bound, at + ": |" + a + " − float " + orig + "| > " + bound);
                }
            }
            for (int t = 0; t < n; t++) {
                float[] single = new float[rows];
                vector1.matmul(q, x, xOff + t * cols, single, 0, 1);
                assertArrayEquals(single, Arrays.copyOfRange(got, outOff + t * rows, outOff + (t + 1) * rows),
                        "token " + t + ": sequence product differs from single-token");
            }
            for (VectorBackend b : new VectorBackend[] {vector2, vector3}) {
                float[] par = new float[outOff + n * rows];
                b.matmul(q, x, xOff, par, outOff, n);
                assertArrayEquals(got, par, b.threads() + " threads differ from 1 (sequence)");
                float[] p1 = new float[rows];
                float[] s1 = new float[rows];
                b.matmul(q, x, xOff, p1, 0, 1);
                vector1.matmul(q, x, xOff, s1, 0, 1);
                assertArrayEquals(s1, p1, b.threads() + " threads differ from 1 (single token)");
            }
        }
    }

    /**
     * Q8_0 against the original float weights. Weight error per element ≤ e_w = d/2 + 127·|d − d16| (rounding to the
     * block scale d = amax/127, then d stored as binary16 d16), activation error ≤ e_x likewise for the activation's
     * blocks, so {@code |ŷ − y| ≤ Σ_i |ŵ_i|·e_x(i) + e_w(i)·|x_i|} plus float rounding.
     */
    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,32", "7,64", "3,96", "5,288", "11,800", "64,768"})
    void q8_0ProductStaysWithinItsQuantizationBound(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + cols);
        float[] w = weights(rnd, rows, cols);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        byte[] b = new byte[(int) DType.Q8_0.byteSize(w.length)];
        for (int blk = 0; blk < w.length / 32; blk++) {
            GgmlBlocks.quantizeBlock(DType.Q8_0, w, blk * 32, b, blk * 34);
        }
        Tensor q = new Tensor("w", DType.Q8_0, new long[] {rows, cols}, MemorySegment.ofArray(b));
        float[] deq = q.toFloatArray();
        double[] ex = blockErrors(x, 0, cols);
        for (KernelBackend be : new KernelBackend[] {scalar, vector1}) {
            float[] out = new float[rows];
            be.matmul(q, x, 0, out, 0, 1);
            for (int r = 0; r < rows; r++) {
                double[] ew = blockErrors(w, r * cols, cols);
                double orig = 0;
                double bound = 0;
                for (int i = 0; i < cols; i++) {
                    orig += (double) w[r * cols + i] * x[i];
                    bound += Math.abs(deq[r * cols + i]) * ex[i / 32] + ew[i / 32] * Math.abs(x[i]) + ew[i / 32] * ex[i / 32];
                }
                bound = bound * (1 + 1e-5) + cols * 0x1p-22 * Math.abs(orig) + 1e-6;
                assertTrue(Math.abs(out[r] - orig) <= bound, be.name() + " " + rows + "x" + cols + " row " + r + ": |"
                        + out[r] + " − " + orig + "| > " + bound);
            }
        }
    }

    private static double[] blockErrors(float[] v, int off, int len) {
        double[] e = new double[len / 32];
        for (int b = 0; b < e.length; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(v[off + b * 32 + j]));
            }
            float d = amax / 127;
            float d16 = Half.roundToF16(d);
            e[b] = d / 2.0 + 127 * Math.abs(d - (double) d16);
        }
        return e;
    }

    @Test
    void i8WithoutARowScaleIsRefusedNamingTheTensor() {
        Tensor bits = new Tensor("blocks.0.ffn.predictor.sign", DType.I8, new long[] {2, 2},
                MemorySegment.ofArray(new byte[4]));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> vector1.matmul(bits, new float[2], 0, new float[2], 0, 1));
        assertTrue(e.getMessage().contains("blocks.0.ffn.predictor.sign"), e.getMessage());
    }
}
