package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-row INT8 products of the reference backend against a float64 product with the weights dequantized in the test
 * (codes times scales read from the raw bytes), and against the original float weights within the analytic bound
 * {@code |Δy_r| ≤ scale_r/2 · Σ|x|}.
 */
class Int8MatmulTest {
    private final KernelBackend be = new ScalarBackendProvider().create(1);

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,1", "1,16", "3,15", "7,33", "5,257", "4,133", "17,768", "9,1031"})
    void equalsTheDequantizedProductAndStaysWithinTheQuantizationBound(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 131L + cols);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() / Math.sqrt(cols));
        }
        int n = 3;
        float[] x = new float[n * cols + 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Tensor q = Int8Rows.quantize("w", w, rows, cols);
        byte[] codes = q.data().toArray(ValueLayout.JAVA_BYTE);
        float[] scales = q.rowScale().toFloatArray();
        float[] out = new float[n * rows + 1];
        be.matmul(q, x, 2, out, 1, n);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double ref = 0;
                double mag = 0;
                double orig = 0;
                double absX = 0;
                for (int i = 0; i < cols; i++) {
                    double xi = x[2 + t * cols + i];
                    double deq = (double) scales[r] * codes[r * cols + i];
                    ref += deq * xi;
                    mag += Math.abs(deq * xi);
                    orig += w[r * cols + i] * xi;
                    absX += Math.abs(xi);
                }
                float got = out[1 + t * rows + r];
                double tol = (cols + 2) * 0x1p-24 * mag + 1e-30;
                assertTrue(Math.abs(got - ref) <= tol, rows + "x" + cols + " token " + t + " row " + r + ": " + got
                        + " vs dequantized " + ref);
                double bound = scales[r] / 2 * absX * (1 + 1e-6) + tol;
                assertTrue(Math.abs(got - orig) <= bound, "row " + r + ": |" + got + " − " + orig + "| > " + bound);
            }
        }
    }

    @Test
    void i8WithoutARowScaleIsNotAWeightMatrix() {
        Tensor bits = new Tensor("blocks.0.ffn.predictor.sign", DType.I8, new long[] {2, 2},
                MemorySegment.ofArray(new byte[4]));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> be.matmul(bits, new float[2], 0, new float[2], 0, 1));
        assertTrue(e.getMessage().contains("blocks.0.ffn.predictor.sign.scale"), e.getMessage());
    }

    @Test
    void handComputedRow() {
        // codes (2, −3, 127) with scale 0.5 and x = (1, 2, 0.25): 0.5·(2 − 6 + 31.75) = 13.875.
        Tensor q = new Tensor("w", DType.I8, new long[] {1, 3}, MemorySegment.ofArray(new byte[] {2, -3, 127}))
                .withRowScale(Tensor.ofFloats("w.scale", new float[] {0.5f}));
        float[] out = new float[1];
        be.matvec(q, new float[] {1, 2, 0.25f}, out);
        assertEquals(13.875f, out[0]);
    }
}
