package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Random weight matrices of every dtype and random activations for the differential tests. */
final class TestTensors {
    static final DType[] MATMUL_TYPES = {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1,
            DType.Q5_0, DType.Q5_1};

    private TestTensors() {
    }

    static float[] gaussian(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * gauss(rnd));
        }
        return v;
    }

    private static double gauss(SplittableRandom rnd) {
        double u = rnd.nextDouble(1e-12, 1.0);
        double w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    /** A rows × cols tensor of {@code type} holding {@code values} (rounded or quantized as the type stores them). */
    static Tensor matrix(String name, DType type, float[] values, int rows, int cols) {
        long[] shape = {rows, cols};
        return switch (type) {
            case F32 -> Tensor.ofFloats(name, values, shape);
            case F16, BF16 -> {
                byte[] b = new byte[values.length * 2];
                for (int i = 0; i < values.length; i++) {
                    short h = type == DType.F16 ? Half.floatToF16(values[i]) : Half.floatToBf16(values[i]);
                    b[2 * i] = (byte) h;
                    b[2 * i + 1] = (byte) (h >>> 8);
                }
                yield new Tensor(name, type, shape, MemorySegment.ofArray(b));
            }
            default -> {
                byte[] b = new byte[(int) type.byteSize(values.length)];
                for (int blk = 0; blk < values.length / 32; blk++) {
                    GgmlBlocks.quantizeBlock(type, values, blk * 32, b, blk * type.blockBytes());
                }
                yield new Tensor(name, type, shape, MemorySegment.ofArray(b));
            }
        };
    }

    /** Σ_i |W[r][i]·x[i]| per row, the scale of a row's rounding error. */
    static double magnitude(Tensor w, int r, float[] x, int xo) {
        float[] row = new float[w.cols()];
        w.readRow(r, row, 0);
        double m = 0;
        for (int i = 0; i < row.length; i++) {
            m += Math.abs((double) row[i] * x[xo + i]);
        }
        return m;
    }
}
