package dev.rwkvedge.spi;

import dev.rwkvedge.tensor.ActivationQuant;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.SignBits;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The default {@link KernelBackend#rowDots}, {@link KernelBackend#accumulateRows} and {@link KernelBackend#signDots}
 * (one token or a chunk), and {@link KernelBackend#accumulateRowsChunk}:
 * plain loops with the scalar backend's summation order (ascending index, float32), so a backend that keeps the defaults gives, row by row, the
 * bits of its own reference {@code matmul}. Buffers are per thread and grow to the widest row seen, so decoding
 * allocates nothing once warm.
 */
final class ReferenceRows {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private ReferenceRows() {
    }

    static void rowDots(Tensor w, int[] rows, int count, float[] x, int xOff, float[] out) {
        int cols = w.cols();
        DType type = w.dtype();
        Scratch s = SCRATCH.get().ensure(cols);
        switch (type) {
            case F32, F16, BF16 -> {
                // F16 weights see the activation rounded to binary16 (ggml's vec_dot_type, RWKV-MATH.md §7).
                boolean f16 = type == DType.F16;
                float[] xk = s.xk;
                for (int i = 0; i < cols; i++) {
                    xk[i] = f16 ? Half.roundToF16(x[xOff + i]) : x[xOff + i];
                }
                float[] row = s.row;
                for (int k = 0; k < count; k++) {
                    w.readRow(rows[k], row, 0);
                    float sum = 0;
                    for (int i = 0; i < cols; i++) {
                        sum += row[i] * xk[i];
                    }
                    out[k] = sum;
                }
            }
            case I8 -> {
                if (!w.hasRowScale()) {
                    throw new UnsupportedOperationException("rowDots: tensor " + w.name() + " is i8 without a row "
                            + "scale (" + Tensor.rowScaleName(w.name()) + "), so it holds raw integers, not weights");
                }
                for (int k = 0; k < count; k++) {
                    out[k] = dotI8(w, rows[k], x, xOff, cols);
                }
            }
            case Q4_0, Q5_0, Q8_0, Q4_1, Q5_1 -> {
                boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
                ActivationQuant.quantize(x, xOff, cols, s.qx, s.dx, withMin ? s.sx : null);
                for (int k = 0; k < count; k++) {
                    out[k] = dotBlocks(w, rows[k], s, withMin);
                }
            }
            default -> throw new UnsupportedOperationException("rowDots: no product for " + type + " (tensor "
                    + w.name() + ")");
        }
    }

    /** {@code scale_r·Σ q·x}, the per-row INT8 product of the scalar backend. */
    private static float dotI8(Tensor w, int r, float[] x, int xOff, int cols) {
        MemorySegment seg = w.data();
        long base = (long) r * cols;
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += seg.get(ValueLayout.JAVA_BYTE, base + i) * x[xOff + i];
        }
        return w.rowScale(r) * sum;
    }

    /** {@code Σ_b (d_w·d_x)·Σ q_w·q_x (+ m_w·s_x)} against the prepared Q8_0/Q8_1 activation, the scalar block product. */
    private static float dotBlocks(Tensor w, int r, Scratch s, boolean withMin) {
        DType type = w.dtype();
        MemorySegment seg = w.data();
        long base = r * w.rowBytes();
        int blocks = w.cols() / GgmlBlocks.QK;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * type.blockBytes();
            GgmlBlocks.blockQuants(type, seg, off, s.qw);
            int sumi = 0;
            for (int i = 0; i < GgmlBlocks.QK; i++) {
                sumi += s.qw[i] * s.qx[b * GgmlBlocks.QK + i];
            }
            sum += (GgmlBlocks.blockScale(seg, off) * s.dx[b]) * sumi;
            if (withMin) {
                sum += GgmlBlocks.blockMin(seg, off) * s.sx[b];
            }
        }
        return sum;
    }

    static void accumulateRows(Tensor w, int[] rows, float[] coef, int count, float[] out, int outOff) {
        int cols = w.cols();
        float[] row = SCRATCH.get().ensure(cols).row;
        for (int k = 0; k < count; k++) {
            w.readRow(rows[k], row, 0);
            float c = coef[k];
            for (int o = 0; o < cols; o++) {
                out[outOff + o] += row[o] * c;
            }
        }
    }

    static void accumulateRowsChunk(Tensor w, int[] rows, int groups, int[] start, int[] tokens, float[] coef,
                                    float[] out, int outOff, int stride) {
        int cols = w.cols();
        float[] row = SCRATCH.get().ensure(cols).row;
        for (int g = 0; g < groups; g++) {
            w.readRow(rows[g], row, 0);
            for (int e = start[g]; e < start[g + 1]; e++) {
                float c = coef[e];
                int o0 = outOff + tokens[e] * stride;
                Objects.checkFromIndexSize(o0, cols, out.length);
                for (int o = 0; o < cols; o++) {
                    out[o0 + o] += row[o] * c;
                }
            }
        }
    }

    static void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out) {
        signDots(bits, cols, x, xOff, out, 1);
    }

    static void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out, int n) {
        int rows = SignBits.checkShape(bits, cols);
        Objects.checkFromIndexSize(xOff, (long) n * cols, x.length);
        Objects.checkFromIndexSize(0, (long) n * rows, out.length);
        Scratch s = SCRATCH.get();
        int need = SignBits.tableSize(cols);
        if (s.lut.length < need) {
            s.lut = new float[need];
        }
        for (int t = 0; t < n; t++) {
            SignBits.scores(bits.data(), rows, cols, x, xOff + t * cols, s.lut, out, t * rows);
        }
    }

    /**
     * One thread's buffers: a dequantized row, the activation as the weight type needs it, the sign predictor's table.
     */
    private static final class Scratch {
        float[] lut = new float[0];
        float[] row = new float[0];
        float[] xk = new float[0];
        byte[] qx = new byte[0];
        float[] dx = new float[0];
        float[] sx = new float[0];
        final int[] qw = new int[GgmlBlocks.QK];

        Scratch ensure(int cols) {
            if (row.length < cols) {
                int blocks = (cols + GgmlBlocks.QK - 1) / GgmlBlocks.QK;
                row = new float[cols];
                xk = new float[cols];
                qx = new byte[cols];
                dx = new float[blocks];
                sx = new float[blocks];
            }
            return this;
        }
    }
}
