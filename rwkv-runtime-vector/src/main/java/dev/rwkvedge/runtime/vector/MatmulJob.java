package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

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
 * row is read from memory once per chunk and stays in L1 for all tokens. F32, F16, BF16 and INT8 rows are copied or
 * widened to floats four at a time into the thread's {@link RowStage} ({@link #rowsStagedWidened}), block rows are unpacked four
 * at a time ({@link #rowsStagedBlocks}), and both run two rows × two tokens per pass. The per-token dot products use
 * the same summation shape as the single-token kernels (see {@link FloatDots}, {@link BlockDots}), so every token
 * gets the bits it gets alone ({@link Int8Dots} too).
 *
 * <p>Per-row INT8 weights (I8 with a row scale) take the float activation as it is; each row's sum
 * {@code Σ q·x} is multiplied by the row's scale, read from the scale tensor's segment.
 */
final class MatmulJob implements WorkerPool.Task {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Rows of fewer blocks than this are never staged ({@link #direct}). */
    static final int NARROW_BLOCKS = 8;

    final RowStage stage = new RowStage();
    private float[] xh = new float[0];
    private float[] xq = new float[0];
    private float[] dx = new float[0];
    private float[] sx = new float[0];
    /** {@link #dx}, {@link #sx} times 2^112 for the direct kernels (see {@link BlockDots}). */
    private float[] dx112 = new float[0];
    private float[] sx112 = new float[0];
    /**
     * Sequence mode's activation in aligned native memory, token t as its own segment of {@link #xStride} bytes (see
     * {@link FloatDots} on why slices): the quants of {@link #xq} for block types, the activation as the weights take
     * it (rounded to binary16 for F16) for the widened types. Made when the buffer grows, so a product allocates
     * nothing.
     */
    private MemorySegment[] xTok = new MemorySegment[0];
    private long xStride;
    /** The activation in the form of the direct Q4/Q5 kernels ({@link BlockDots#nibbleActivation}), per token. */
    private float[] xa = new float[0];
    private float[] xb = new float[0];
    private float[] xs = new float[0];

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
    /** {@link VectorBackend#rowDots}: the rows to compute (the task's range indexes this list), else null. */
    private int[] listed;

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
                Int8Dots.requireRowScale(w);
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
                if (!direct()) {
                    stageActivation(xq, 0);
                }
                if (direct()) {
                    // The direct kernels' activation scales carry the 2^112 of HalfConvert.unscaled.
                    int nb = n * blocks;
                    if (dx112.length < nb) {
                        dx112 = new float[nb];
                        sx112 = new float[nb];
                    }
                    for (int i = 0; i < nb; i++) {
                        dx112[i] = dx[i] * HalfConvert.F16_SCALE;
                        sx112[i] = sx[i] * HalfConvert.F16_SCALE;
                    }
                }
                if (direct() && type != DType.Q8_0) {
                    int half = blocks * BlockDots.HALF;
                    if (xa.length < n * half) {
                        xa = new float[n * half];
                        xb = new float[n * half];
                        xs = new float[n * half];
                    }
                    int bias = switch (type) {
                        case Q4_0 -> 8;
                        case Q5_0 -> 16;
                        default -> 0;
                    };
                    for (int t = 0; t < n; t++) {
                        BlockDots.nibbleActivation(xq, t * cols, blocks, bias, xa, xb, xs, t * half);
                    }
                }
            }
            default -> throw new UnsupportedOperationException("vector backend: no product for " + type
                    + " (tensor " + w.name() + ")");
        }
        if (n > 1 && (type == DType.F32 || type == DType.F16 || type == DType.BF16 || type == DType.I8)) {
            stageActivation(this.x, this.xOff);
        }
    }

    /**
     * Copies the {@link #n} tokens of {@link #cols} floats at {@code src[off..]} into {@link #xTok}: staged sequence
     * mode reads the activation (quants for block types) from 64-byte-aligned native memory, as the rows (see
     * {@link RowStage}).
     */
    private void stageActivation(float[] src, int off) {
        long stride = (4L * cols + 63) / 64 * 64;
        if (xTok.length < n || xStride < stride) {
            int count = Math.max(n, xTok.length);
            xStride = Math.max(stride, xStride);
            MemorySegment buffer = Arena.ofAuto().allocate(count * xStride, 64);
            xTok = new MemorySegment[count];
            for (int t = 0; t < count; t++) {
                xTok[t] = buffer.asSlice(t * xStride, xStride);
            }
        }
        for (int t = 0; t < n; t++) {
            MemorySegment.copy(src, off + t * cols, xTok[t], ValueLayout.JAVA_FLOAT, 0, cols);
        }
    }

    /** Drops the references to the caller's arrays and the weights once the product is done. */
    void clear() {
        listed = null;
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

    /**
     * Turns this single-token job into {@link VectorBackend#rowDots}: the task's range then indexes {@code idx}, and
     * entry {@code s} goes to {@code out[outOff + s]}.
     */
    void listRows(int[] idx) {
        this.listed = idx;
    }

    @Override
    public void run(int from, int to, RowStage st) {
        if (listed != null) {
            listedRows(from, to);
            return;
        }
        switch (type) {
            case F32 -> {
                if (n == 1) {
                    rowsFloat(from, to);
                } else {
                    rowsStagedWidened(from, to, st);
                }
            }
            case I8 -> {
                if (n == 1) {
                    rowsInt8(from, to);
                } else {
                    rowsStagedWidened(from, to, st);
                }
            }
            case F16, BF16 -> {
                if (n == 1) {
                    rowsFloat(from, to);
                } else {
                    rowsStagedWidened(from, to, st);
                }
            }
            default -> {
                if (direct()) {
                    rowsBlocks(from, to);
                } else {
                    rowsStagedBlocks(from, to, st);
                }
            }
        }
    }

    /**
     * Float rows straight from the weights, in pairs (see {@link FloatDots}), every token. The range is cut into
     * quarters and each step computes row k of the first quarter with row k of the second, then row k of the third
     * with row k of the fourth: four sequential streams some kilobytes apart, which the hardware prefetchers follow
     * independently, keep more cache misses in flight than one. On the 169M F16 head (one thread, mapped file) two
     * streams took a product from 24 to 13.6 ms of CPU time; four streams over two gave another 10-15% on a 300 MB
     * F16 matrix (one thread, 9.5-10.1 → 10.7-11.7 GB/s in alternating runs), and eight measured the same as four.
     */
    private void rowsFloat(int from, int to) {
        int quarter = (to - from) / 4;
        for (int k = 0; k < quarter; k++) {
            floatPair(from + k, from + quarter + k);
            floatPair(from + 2 * quarter + k, from + 3 * quarter + k);
        }
        int r = from + 4 * quarter;
        for (; r + 1 < to; r += 2) {
            floatPair(r, r + 1);
        }
        if (r < to) {
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

    private void floatPair(int r0, int r1) {
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

    /**
     * Sequence-mode F32, F16, BF16 and INT8 rows: {@link RowStage#ROWS} rows at a time copied or widened to floats
     * (exactly) into the stage's aligned native memory, then two rows × two tokens per pass ({@link FloatDots#staged2x2}), each product
     * with the bits of the single-token kernels; an INT8 row's sums are then multiplied by its scale, as
     * {@link #rowsInt8} does. Against the kernel before (one row × two tokens, from Java arrays): one load per FMA
     * instead of 1.5, and no cache-line-straddling loads.
     */
    private void rowsStagedWidened(int from, int to, RowStage st) {
        st.ensure(cols);
        MemorySegment[] wr = st.rows;
        float[] row = st.row;
        for (int r0 = from; r0 < to; r0 += RowStage.ROWS) {
            int count = Math.min(RowStage.ROWS, to - r0);
            for (int i = 0; i < count; i++) {
                long base = (r0 + i) * rowBytes;
                if (type == DType.F32) {
                    MemorySegment.copy(seg, F32, base, wr[i], ValueLayout.JAVA_FLOAT, 0, cols);
                } else {
                    RowStage.widen(seg, type, base, 0, cols, row);
                    MemorySegment.copy(row, 0, wr[i], ValueLayout.JAVA_FLOAT, 0, cols);
                }
            }
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int o = outOff + t * rows + r0;
                MemorySegment x0 = xTok[t];
                MemorySegment x1 = xTok[t + 1];
                int i = 0;
                for (; i + 1 < count; i += 2) {
                    FloatDots.staged2x2(wr[i], wr[i + 1], x0, x1, cols, out,
                            o + i, o + rows + i, o + i + 1, o + rows + i + 1);
                }
                if (i < count) {
                    out[o + i] = FloatDots.stagedDot(wr[i], x0, cols);
                    out[o + rows + i] = FloatDots.stagedDot(wr[i], x1, cols);
                }
            }
            if (t < n) {
                int o = outOff + t * rows + r0;
                for (int i = 0; i < count; i++) {
                    out[o + i] = FloatDots.stagedDot(wr[i], xTok[t], cols);
                }
            }
            if (type == DType.I8) {
                for (int i = 0; i < count; i++) {
                    float scale = scales.get(F32, 4L * (r0 + i));
                    for (t = 0; t < n; t++) {
                        out[outOff + t * rows + r0 + i] *= scale;
                    }
                }
            }
        }
    }

    /**
     * {@link VectorBackend#rowDots}: entries {@code [from, to)} of the listed rows of a single-token product
     * ({@link #prepare} with {@code n = 1} and the caller's result array as {@code out}, then {@link #listRows}),
     * result {@code s} into {@code out[outOff + s]}. Listed rows are
     * computed in pairs through the same paired kernels as {@link #rowsFloat}, {@link #rowsInt8} and
     * {@link #rowsBlocks} (each row of a pair has the bits it has alone), so every entry equals the {@code matmul}
     * entry of its row bit for bit.
     */
    private void listedRows(int from, int to) {
        int[] idx = listed;
        int s = from;
        for (; s + 1 < to; s += 2) {
            int r0 = Objects.checkIndex(idx[s], rows);
            int r1 = Objects.checkIndex(idx[s + 1], rows);
            long b0 = r0 * rowBytes;
            long b1 = r1 * rowBytes;
            int o0 = outOff + s;
            int o1 = o0 + 1;
            switch (type) {
                case F32 -> FloatDots.dotF32x2(seg, b0, b1, x, xOff, cols, out, o0, o1);
                case F16 -> FloatDots.dotF16x2(seg, b0, b1, x, xOff, cols, out, o0, o1);
                case BF16 -> FloatDots.dotBF16x2(seg, b0, b1, x, xOff, cols, out, o0, o1);
                case I8 -> {
                    Int8Dots.dotx2(seg, b0, b1, x, xOff, cols, out, o0, o1);
                    out[o0] *= scales.get(F32, 4L * r0);
                    out[o1] *= scales.get(F32, 4L * r1);
                }
                case Q8_0 -> BlockDots.q8_0x2(seg, b0, b1, blocks, x, 0, dx112, 0, out, o0, o1);
                case Q4_0 -> BlockDots.q4x2(seg, b0, b1, blocks, false, xa, xb, xs, 0, dx112, sx112, 0, out, o0, o1);
                case Q4_1 -> BlockDots.q4x2(seg, b0, b1, blocks, true, xa, xb, xs, 0, dx112, sx112, 0, out, o0, o1);
                case Q5_0 -> BlockDots.q5x2(seg, b0, b1, blocks, false, xa, xb, xs, 0, dx112, sx112, 0, out, o0, o1);
                case Q5_1 -> BlockDots.q5x2(seg, b0, b1, blocks, true, xa, xb, xs, 0, dx112, sx112, 0, out, o0, o1);
                default -> throw new IllegalStateException(type.toString());
            }
        }
        if (s < to) {
            int r = Objects.checkIndex(idx[s], rows);
            long b = r * rowBytes;
            out[outOff + s] = switch (type) {
                case F32 -> FloatDots.dotF32(seg, b, x, xOff, cols);
                case F16 -> FloatDots.dotF16(seg, b, x, xOff, cols);
                case BF16 -> FloatDots.dotBF16(seg, b, x, xOff, cols);
                case I8 -> scales.get(F32, 4L * r) * Int8Dots.dot(seg, b, x, xOff, cols);
                case Q8_0 -> BlockDots.q8_0(seg, b, blocks, x, 0, dx112, 0);
                case Q4_0 -> BlockDots.q4(seg, b, blocks, false, xa, xb, xs, 0, dx112, sx112, 0);
                case Q4_1 -> BlockDots.q4(seg, b, blocks, true, xa, xb, xs, 0, dx112, sx112, 0);
                case Q5_0 -> BlockDots.q5(seg, b, blocks, false, xa, xb, xs, 0, dx112, sx112, 0);
                case Q5_1 -> BlockDots.q5(seg, b, blocks, true, xa, xb, xs, 0, dx112, sx112, 0);
                default -> throw new IllegalStateException(type.toString());
            };
        }
    }

    /**
     * Whether block rows are read straight from the weights for every token ({@link #rowsBlocks}) rather than staged
     * ({@link #rowsStagedBlocks}): single tokens, and rows of fewer than {@link #NARROW_BLOCKS} blocks (LoRA-sized
     * products such as RWKV-6's 64-column decay projection), where the staged kernels' fixed cost per row pair and
     * token pair outweighs the work: 768 × 64 Q8_0 for 32 tokens took 0.34 ms staged against 0.27 ms direct (one
     * thread, CPU time).
     */
    private boolean direct() {
        return n == 1 || blocks < NARROW_BLOCKS;
    }

    /** Block rows read straight from the weights, in pairs over four streams as {@link #rowsFloat}, every token. */
    private void rowsBlocks(int from, int to) {
        int quarter = (to - from) / 4;
        for (int k = 0; k < quarter; k++) {
            blockPair(from + k, from + quarter + k);
            blockPair(from + 2 * quarter + k, from + 3 * quarter + k);
        }
        int r = from + 4 * quarter;
        for (; r + 1 < to; r += 2) {
            blockPair(r, r + 1);
        }
        if (r < to) {
            long base = r * rowBytes;
            int half = blocks * BlockDots.HALF;
            for (int t = 0; t < n; t++) {
                int d = t * blocks;
                int h = t * half;
                out[outOff + t * rows + r] = switch (type) {
                    case Q8_0 -> BlockDots.q8_0(seg, base, blocks, x, t * cols, dx112, d);
                    case Q4_0 -> BlockDots.q4(seg, base, blocks, false, xa, xb, xs, h, dx112, sx112, d);
                    case Q4_1 -> BlockDots.q4(seg, base, blocks, true, xa, xb, xs, h, dx112, sx112, d);
                    case Q5_0 -> BlockDots.q5(seg, base, blocks, false, xa, xb, xs, h, dx112, sx112, d);
                    case Q5_1 -> BlockDots.q5(seg, base, blocks, true, xa, xb, xs, h, dx112, sx112, d);
                    default -> throw new IllegalStateException(type.toString());
                };
            }
        }
    }

    private void blockPair(int r0, int r1) {
        long b0 = r0 * rowBytes;
        long b1 = r1 * rowBytes;
        int half = blocks * BlockDots.HALF;
        for (int t = 0; t < n; t++) {
            int o0 = outOff + t * rows + r0;
            int o1 = outOff + t * rows + r1;
            int d = t * blocks;
            int h = t * half;
            switch (type) {
                case Q8_0 -> BlockDots.q8_0x2(seg, b0, b1, blocks, x, t * cols, dx112, d, out, o0, o1);
                case Q4_0 -> BlockDots.q4x2(seg, b0, b1, blocks, false, xa, xb, xs, h, dx112, sx112, d, out, o0, o1);
                case Q4_1 -> BlockDots.q4x2(seg, b0, b1, blocks, true, xa, xb, xs, h, dx112, sx112, d, out, o0, o1);
                case Q5_0 -> BlockDots.q5x2(seg, b0, b1, blocks, false, xa, xb, xs, h, dx112, sx112, d, out, o0, o1);
                case Q5_1 -> BlockDots.q5x2(seg, b0, b1, blocks, true, xa, xb, xs, h, dx112, sx112, d, out, o0, o1);
                default -> throw new IllegalStateException(type.toString());
            }
        }
    }

    /**
     * Sequence mode for block types: {@link RowStage#ROWS} rows are unpacked once, then every pair of tokens runs
     * against them through {@link BlockDots#staged2x2} (two rows × two tokens per pass). Each weight vector and each
     * activation vector loaded then feeds two products, and the four staged rows plus two tokens' activations
     * (about 15 KB at 768 columns) stay in L1 while the pair's products are computed; the block scale products
     * d_w·d_x are formed lanewise per staged row for all tokens ({@link BlockDots#scales}), not per block and
     * product.
     * Staged rows and activation quants are read from aligned native memory ({@link RowStage}). Against one row ×
     * two tokens per pass with the scale product in the kernel and both operands in arrays, Q8_0 products for 32
     * tokens went from 6.2 to 3.6 ms (2688 × 768), 6.0 to 3.0 ms (768 × 2688) and 1.8 to 1.05 ms (768 × 768) of
     * CPU time on one thread, all shapes of an RWKV-6 layer run in one JVM; the old code also varied between 4.4
     * and 7.8 ms from one JVM to the next for the first shape. The Q4_1/Q5_1 minimum term is added last, as the
     * direct kernels add it.
     */
    private void rowsStagedBlocks(int from, int to, RowStage st) {
        st.ensure(cols, n);
        boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
        MemorySegment[] wr = st.rows;
        for (int r0 = from; r0 < to; r0 += RowStage.ROWS) {
            int count = Math.min(RowStage.ROWS, to - r0);
            for (int i = 0; i < count; i++) {
                BlockDots.stage(type, seg, (r0 + i) * rowBytes, blocks, wr[i], 0, st.scales[i], st.mins[i]);
                BlockDots.scales(st.scales[i], dx, 0, blocks, n, st.products[i]);
            }
            int t = 0;
            for (; t + 1 < n; t += 2) {
                int o = outOff + t * rows + r0;
                int co = t * blocks;
                MemorySegment x0 = xTok[t];
                MemorySegment x1 = xTok[t + 1];
                int i = 0;
                for (; i + 1 < count; i += 2) {
                    BlockDots.staged2x2(wr[i], wr[i + 1], st.products[i], st.products[i + 1], co,
                            blocks, x0, x1, out, o + i, o + rows + i, o + i + 1, o + rows + i + 1);
                }
                if (i < count) {
                    out[o + i] = BlockDots.staged(wr[i], st.products[i], co, blocks, x0);
                    out[o + rows + i] = BlockDots.staged(wr[i], st.products[i], co + blocks, blocks, x1);
                }
            }
            if (t < n) {
                int o = outOff + t * rows + r0;
                for (int i = 0; i < count; i++) {
                    out[o + i] = BlockDots.staged(wr[i], st.products[i], t * blocks, blocks, xTok[t]);
                }
            }
            if (withMin) {
                for (t = 0; t < n; t++) {
                    int o = outOff + t * rows + r0;
                    for (int i = 0; i < count; i++) {
                        out[o + i] += BlockDots.minTerm(st.mins[i], sx, t * blocks, blocks);
                    }
                }
            }
        }
    }
}
