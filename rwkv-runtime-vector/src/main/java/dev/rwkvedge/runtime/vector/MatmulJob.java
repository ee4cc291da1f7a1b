package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One matrix product {@code out[t·rows + r] = W[r]·x_t} for {@code n} tokens: the arguments, the activation as the
 * weight type needs it (rounded to binary16, or quantized to Q8_0/Q8_1), and the row loop that the workers run.
 *
 * <p>Each calling thread owns one job (the backend keeps them in a {@link ThreadLocal}), so concurrent sessions on
 * one backend never share buffers; the buffers grow to the largest product seen and are then reused, so a
 * product allocates nothing. The activation is prepared once by the caller; during the parallel part the workers
 * only read it.
 *
 * <p>Sequence mode ({@code n > 1}) is a matrix-matrix product: the token loop is inside the row loop, so each weight
 * row is read from memory once per chunk and stays in L1 for all tokens. F16/BF16 and block rows are widened or
 * unpacked once into the thread's {@link RowStage} and then run against two tokens at a time (one weight load for
 * both); the per-token dot products use the same summation shape as the single-token kernels (see {@link FloatDots},
 * {@link BlockDots}, {@link Int8Dots}), so every token gets the bits it gets alone.
 *
 * <p>Per-row INT8 weights (I8 with a row scale) take the float activation as it is; each row's sum
 * {@code Σ q·x} is multiplied by the row's scale, read from the scale tensor's segment.
 */
final class MatmulJob implements WorkerPool.Task {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    final RowStage stage = new RowStage();
    private float[] xh = new float[0];
    private float[] xq = new float[0];
    private float[] dx = new float[0];
    private float[] sx = new float[0];

    private DType type;
    private MemorySegment seg;
    /** The row scales of I8 weights (F32, one per row), else null. */
    private MemorySegment scales;
    private long rowBytes;
    private int rows;
    private int cols;
    private int blocks;
    private float[] x;
    private int xOff;
    private float[] out;
    private int outOff;
    private int n;

    /** Binds the arguments and prepares the activation for {@code w}'s type. */
    void prepare(Tensor w, float[] x, int xOff, float[] out, int outOff, int n) {
        this.type = w.dtype();
        this.seg = w.data();
        this.rowBytes = w.rowBytes();
        this.rows = w.rows();
        this.cols = w.cols();
        this.out = out;
        this.outOff = outOff;
        this.n = n;
        switch (type) {
            case F32, BF16 -> {
                this.x = x;
                this.xOff = xOff;
            }
            case I8 -> {
                if (!w.hasRowScale()) {
                    throw new UnsupportedOperationException("vector backend: tensor " + w.name() + " is i8 without a "
                            + "row scale (" + Tensor.rowScaleName(w.name()) + "), so it holds raw integers, not weights");
                }
                this.scales = w.rowScale().data();
                this.x = x;
                this.xOff = xOff;
            }
            case F16 -> {
                // ggml's vec_dot_type for F16 is F16: the activation is rounded to binary16 first (RWKV-MATH.md §7).
                // A single token also takes over the weights' 2^112 rebias (FloatDots.dotF16); sequence mode widens
                // rows fully into the stage and uses the plain rounded activation.
                int len = n * cols;
                if (xh.length < len) {
                    xh = new float[len];
                }
                float scale = n == 1 ? HalfConvert.F16_SCALE : 1f;
                for (int i = 0; i < len; i++) {
                    xh[i] = Float.float16ToFloat(Float.floatToFloat16(x[xOff + i])) * scale;
                }
                this.x = xh;
                this.xOff = 0;
            }
            case Q4_0, Q5_0, Q8_0, Q4_1, Q5_1 -> {
                blocks = cols / BlockDots.QK;
                int len = n * cols;
                if (xq.length < len) {
                    xq = new float[len];
                    dx = new float[n * blocks];
                    sx = new float[n * blocks];
                }
                boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
                for (int t = 0; t < n; t++) {
                    ActivationQuantizer.quantize(x, xOff + t * cols, cols, xq, t * cols, dx, withMin ? sx : null, t * blocks);
                }
                this.x = xq;
                this.xOff = 0;
            }
            default -> throw new UnsupportedOperationException("vector backend: no product for " + type
                    + " (tensor " + w.name() + ")");
        }
    }

    /** Drops the references to the caller's arrays and the weights once the product is done. */
    void clear() {
        seg = null;
        scales = null;
        x = null;
        out = null;
    }

    int rows() {
        return rows;
    }

    long rowBytes() {
        return rowBytes;
    }

    @Override
    public void run(int from, int to, RowStage st) {
        switch (type) {
            case F32 -> rowsFloat(from, to);
            case I8 -> {
                if (n == 1) {
                    rowsInt8(from, to);
                } else {
                    rowsStagedInt8(from, to, st);
                }
            }
            case F16, BF16 -> {
                if (n == 1) {
                    rowsFloat(from, to);
                } else {
                    rowsStagedFloat(from, to, st, type == DType.F16);
                }
            }
            default -> {
                if (n == 1) {
                    rowsBlocks(from, to);
                } else {
                    rowsStagedBlocks(from, to, st);
                }
            }
        }
    }

    /**
     * Float rows straight from the weights, in pairs (see {@link FloatDots}), every token. A pair is row k of the
     * range's first half with row k of its second half: two sequential streams some kilobytes apart, which the
     * hardware prefetchers follow independently, keep more cache misses in flight than one stream. On the 169M F16
     * head (one thread, mapped file) that took a product from 24 to 13.6 ms of CPU time, measured twice with
     * alternating builds; four streams measured the same as two.
     */
    private void rowsFloat(int from, int to) {
        int half = (to - from) / 2;
        for (int k = 0; k < half; k++) {
            int r0 = from + k;
            int r1 = from + half + k;
            long b0 = r0 * rowBytes;
            long b1 = r1 * rowBytes;
            for (int t = 0; t < n; t++) {
                int xo = xOff + t * cols;
                int o = outOff + t * rows;
                switch (type) {
                    case F32 -> FloatDots.dotF32x2(seg, b0, b1, x, xo, cols, out, o + r0, o + r1);
                    case F16 -> FloatDots.dotF16x2(seg, b0, b1, x, xo, cols, out, o + r0, o + r1);
                    default -> FloatDots.dotBF16x2(seg, b0, b1, x, xo, cols, out, o + r0, o + r1);
                }
            }
        }
        if (((to - from) & 1) != 0) {
            int r = to - 1;
            long b0 = r * rowBytes;
            for (int t = 0; t < n; t++) {
                int xo = xOff + t * cols;
                out[outOff + t * rows + r] = switch (type) {
                    case F32 -> FloatDots.dotF32(seg, b0, x, xo, cols);
                    case F16 -> FloatDots.dotF16(seg, b0, x, xo, cols);
                    default -> FloatDots.dotBF16(seg, b0, x, xo, cols);
                };
            }
        }
    }

    /** Single-token INT8 rows, in pairs from the two halves of the range (two prefetch streams, as {@link #rowsFloat}). */
    private void rowsInt8(int from, int to) {
        int half = (to - from) / 2;
        for (int k = 0; k < half; k++) {
            int r0 = from + k;
            int r1 = from + half + k;
            Int8Dots.dotx2(seg, r0 * rowBytes, r1 * rowBytes, x, xOff, cols, out, outOff + r0, outOff + r1);
            out[outOff + r0] *= scales.get(F32, 4L * r0);
            out[outOff + r1] *= scales.get(F32, 4L * r1);
        }
        if (((to - from) & 1) != 0) {
            int r = to - 1;
            out[outOff + r] = scales.get(F32, 4L * r) * Int8Dots.dot(seg, r * rowBytes, x, xOff, cols);
        }
    }

    /** Sequence-mode INT8 rows: widened once into the stage, then two tokens at a time; the bits of {@link #rowsInt8}. */
    private void rowsStagedInt8(int from, int to, RowStage st) {
        st.ensure(cols);
        float[] row = st.row;
        for (int r = from; r < to; r++) {
            Int8Dots.widen(seg, r * rowBytes, row, cols);
            float scale = scales.get(F32, 4L * r);
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int o = outOff + t * rows + r;
                FloatDots.dot2(row, 0, x, xOff + t * cols, xOff + (t + 1) * cols, cols, out, o, o + rows);
                out[o] *= scale;
                out[o + rows] *= scale;
            }
            if (t < n) {
                out[outOff + t * rows + r] = scale * FloatDots.dot(row, 0, x, xOff + t * cols, cols);
            }
        }
    }

    private void rowsStagedFloat(int from, int to, RowStage st, boolean f16) {
        st.ensure(cols);
        float[] row = st.row;
        for (int r = from; r < to; r++) {
            if (f16) {
                HalfConvert.f16Row(seg, r * rowBytes, row, cols);
            } else {
                HalfConvert.bf16Row(seg, r * rowBytes, row, cols);
            }
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int o = outOff + t * rows + r;
                FloatDots.dot2(row, 0, x, xOff + t * cols, xOff + (t + 1) * cols, cols, out, o, o + rows);
            }
            if (t < n) {
                out[outOff + t * rows + r] = FloatDots.dot(row, 0, x, xOff + t * cols, cols);
            }
        }
    }

    private void rowsBlocks(int from, int to) {
        int r = from;
        if (type == DType.Q8_0) {
            // Pairs from the two halves of the range: two prefetch streams (see rowsFloat).
            int half = (to - from) / 2;
            for (int k = 0; k < half; k++) {
                int r0 = from + k;
                int r1 = from + half + k;
                BlockDots.q8_0x2(seg, r0 * rowBytes, r1 * rowBytes, blocks, x, 0, dx, 0, out, outOff + r0, outOff + r1);
            }
            r = from + 2 * half;
        }
        for (; r < to; r++) {
            long base = r * rowBytes;
            out[outOff + r] = switch (type) {
                case Q8_0 -> BlockDots.q8_0(seg, base, blocks, x, 0, dx, 0);
                case Q4_0 -> BlockDots.q4(seg, base, blocks, false, x, 0, dx, sx, 0);
                case Q4_1 -> BlockDots.q4(seg, base, blocks, true, x, 0, dx, sx, 0);
                case Q5_0 -> BlockDots.q5(seg, base, blocks, false, x, 0, dx, sx, 0);
                case Q5_1 -> BlockDots.q5(seg, base, blocks, true, x, 0, dx, sx, 0);
                default -> throw new IllegalStateException(type.toString());
            };
        }
    }

    private void rowsStagedBlocks(int from, int to, RowStage st) {
        st.ensure(cols);
        boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
        for (int r = from; r < to; r++) {
            BlockDots.stage(type, seg, r * rowBytes, blocks, st.row, st.scales, st.mins);
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int o = outOff + t * rows + r;
                BlockDots.staged2(st.row, st.scales, st.mins, withMin, blocks, x, dx, sx,
                        t * cols, t * blocks, (t + 1) * cols, (t + 1) * blocks, out, o, o + rows);
            }
            if (t < n) {
                out[outOff + t * rows + r] = BlockDots.staged(st.row, st.scales, st.mins, withMin, blocks,
                        x, t * cols, dx, sx, t * blocks);
            }
        }
    }
}
