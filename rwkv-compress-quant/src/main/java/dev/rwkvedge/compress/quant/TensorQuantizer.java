package dev.rwkvedge.compress.quant;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Quantizes one float matrix row by row (rows in parallel; each row is independent) and measures what it cost:
 * the error of the values the runtime will see (blocks dequantized, or {@code scale·q}) against the source values,
 * as relative Frobenius error {@code ‖W − Ŵ‖_F / ‖W‖_F} and max |W − Ŵ|.
 *
 * <p>INT8 uses {@link Int8Rows} (round half to even); the ggml block types use ggml's reference quantizers
 * ({@link GgmlBlocks#quantizeBlock}), so the blocks are the ones rwkv.cpp's {@code rwkv_quantize} writes from the
 * same float values. Which type a matrix gets is decided before ({@link Candidates}); a block type needs rows of a
 * multiple of 32.
 */
final class TensorQuantizer {
    /** What became of one matrix; sums in double over its rows. */
    record Outcome(Tensor source, Tensor quantized, QuantType type, double errorSquares, double normSquares,
                   double maxAbsError) {
        double relativeError() {
            return normSquares == 0 ? 0 : Math.sqrt(errorSquares / normSquares);
        }

        long bytesBefore() {
            return source.byteSizeWithScale();
        }

        long bytesAfter() {
            return quantized.byteSizeWithScale();
        }
    }

    private TensorQuantizer() {
    }

    /**
     * @throws IllegalArgumentException naming the tensor and position if a value is not finite, or if a block's
     *                                  scale or minimum does not fit binary16 (|d| or |m| above 65504: weights of
     *                                  about 5·10⁵ and more, which no trained model has)
     */
    static Outcome quantize(Tensor t, QuantType type) {
        int rows = t.rows();
        int cols = t.cols();
        if (type.isBlock() && cols % GgmlBlocks.QK != 0) {
            throw new IllegalArgumentException("tensor " + t.name() + ": " + type.id + " needs rows of a multiple of "
                    + GgmlBlocks.QK + " elements, rows have " + cols);
        }
        long rowBytes = type.dtype.byteSize(cols);
        byte[] data = new byte[Math.toIntExact(rows * rowBytes)];
        float[] scales = type == QuantType.INT8 ? new float[rows] : null;
        double[] err = new double[rows];
        double[] norm = new double[rows];
        double[] max = new double[rows];
        MemorySegment seg = MemorySegment.ofArray(data);
        IntStream.range(0, rows).parallel().forEach(r -> {
            float[] w = new float[cols];
            float[] back = new float[cols];
            t.readRow(r, w, 0);
            for (int i = 0; i < cols; i++) {
                if (!Float.isFinite(w[i])) {
                    throw new IllegalArgumentException("tensor " + t.name() + " row " + r + " column " + i + " is "
                            + w[i] + "; only finite weights can be quantized");
                }
            }
            int off = Math.toIntExact(r * rowBytes);
            if (type == QuantType.INT8) {
                float s = Int8Rows.quantizeRow(w, 0, cols, data, off);
                scales[r] = s;
                for (int i = 0; i < cols; i++) {
                    back[i] = s * data[off + i];
                }
            } else {
                DType dt = type.dtype;
                for (int b = 0; b < cols / GgmlBlocks.QK; b++) {
                    int blockOff = off + b * dt.blockBytes();
                    GgmlBlocks.quantizeBlock(dt, w, b * GgmlBlocks.QK, data, blockOff);
                    GgmlBlocks.dequantizeBlock(dt, seg, blockOff, back, b * GgmlBlocks.QK);
                    checkFinite(t, type, r, b, back);
                }
            }
            double e = 0;
            double n = 0;
            double m = 0;
            for (int i = 0; i < cols; i++) {
                double d = (double) w[i] - back[i];
                e += d * d;
                n += (double) w[i] * w[i];
                m = Math.max(m, Math.abs(d));
            }
            err[r] = e;
            norm[r] = n;
            max[r] = m;
        });
        Tensor q = new Tensor(t.name(), type.dtype, t.shape(), seg);
        if (scales != null) {
            q = q.withRowScale(Tensor.ofFloats(Tensor.rowScaleName(t.name()), scales, rows));
        }
        return new Outcome(t, q, type, sum(err), sum(norm), Arrays.stream(max).max().orElse(0));
    }

    /** A binary16 d or m that overflowed dequantizes to ±∞ or NaN: refuse rather than write an unusable block. */
    private static void checkFinite(Tensor t, QuantType type, int row, int block, float[] back) {
        for (int i = block * GgmlBlocks.QK; i < (block + 1) * GgmlBlocks.QK; i++) {
            if (!Float.isFinite(back[i])) {
                throw new IllegalArgumentException("tensor " + t.name() + " row " + row + " columns "
                        + block * GgmlBlocks.QK + ".." + ((block + 1) * GgmlBlocks.QK - 1) + ": the " + type.id
                        + " block scale or minimum overflows binary16 (max 65504); exclude the tensor or use int8");
            }
        }
    }

    /** In row order, so the figures do not depend on how rows were scheduled. */
    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }
}
