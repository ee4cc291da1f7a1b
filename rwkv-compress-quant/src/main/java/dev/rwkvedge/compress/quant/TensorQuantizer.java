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
 * the error of the values the runtime will see (Q8_0 blocks dequantized, or {@code scale·q}) against the source
 * values, as relative Frobenius error {@code ‖W − Ŵ‖_F / ‖W‖_F} and max |W − Ŵ|.
 *
 * <p>INT8 uses {@link Int8Rows} (round half to even); Q8_0 uses ggml's reference quantizer
 * ({@link GgmlBlocks#quantizeBlock}, which rounds half away from zero like {@code quantize_row_q8_0_ref}), so the
 * blocks are the ones rwkv.cpp's {@code rwkv_quantize} writes. A Q8_0 request for rows that are not whole blocks is
 * served as INT8 ({@link Outcome#fallback()}).
 */
final class TensorQuantizer {
    /** What became of one matrix; sums in double over its rows. */
    record Outcome(Tensor source, Tensor quantized, QuantType type, boolean fallback, double errorSquares,
                   double normSquares, double maxAbsError) {
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
     * @throws IllegalArgumentException naming the tensor and row if a value is not finite
     */
    static Outcome quantize(Tensor t, QuantType requested) {
        int rows = t.rows();
        int cols = t.cols();
        boolean fallback = requested == QuantType.Q8_0 && cols % GgmlBlocks.QK != 0;
        QuantType type = fallback ? QuantType.INT8 : requested;
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
                for (int b = 0; b < cols / GgmlBlocks.QK; b++) {
                    int blockOff = off + b * DType.Q8_0.blockBytes();
                    GgmlBlocks.quantizeBlock(DType.Q8_0, w, b * GgmlBlocks.QK, data, blockOff);
                    GgmlBlocks.dequantizeBlock(DType.Q8_0, seg, blockOff, back, b * GgmlBlocks.QK);
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
        return new Outcome(t, q, type, fallback, sum(err), sum(norm), Arrays.stream(max).max().orElse(0));
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
