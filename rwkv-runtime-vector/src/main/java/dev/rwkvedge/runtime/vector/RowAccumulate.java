package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * {@link VectorBackend#accumulateRows}: {@code out += Σ_s coef[s]·W[rows[s]]}, one row at a time, each row added with
 * one lanewise FMA per vector (the scalar tail with {@link Math#fma}, so every element is rounded once per row).
 * F32 rows are read straight from the weights; F16/BF16 rows are widened into a float buffer by {@link HalfConvert}
 * and I8 rows by {@link Int8Dots#widen}, with the row scale folded into the coefficient ({@code (c·scale)·q} instead
 * of the reference's {@code (scale·q)·c}: one rounding apart). Block types (Q8_0 and the others) are dequantized by
 * the scalar ggml reference ({@link RowStage#widen}) and then added with the same FMA loop: the value rows of a
 * sparse FFN are read once per token, so their dequantization is a small share of the work next to fetching them.
 *
 * <p>The FMA loop is written out in each place instead of in a helper taking a vector: a vector-typed parameter or
 * result that fails to inline is boxed, which {@code AllocationTest} sees as megabytes per token.
 */
final class RowAccumulate {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Output columns per unit of {@link Chunk}'s range: a multiple of the vector length and of the 32-element block. */
    static final int UNIT = 128;

    private RowAccumulate() {
    }

    /** @param row a buffer of at least {@code w.cols()} floats (the thread's {@link RowStage#row}) */
    static void accumulate(Tensor w, int[] rows, float[] coef, int count, float[] out, int outOff, float[] row) {
        int cols = w.cols();
        MemorySegment seg = w.data();
        long rowBytes = w.rowBytes();
        DType type = w.dtype();
        int bound = F.loopBound(cols);
        for (int k = 0; k < count; k++) {
            int r = rows[k];
            long base = r * rowBytes;
            float c = coef[k];
            if (type == DType.F32) {
                FloatVector cv = FloatVector.broadcast(F, c);
                int i = 0;
                for (; i < bound; i += L) {
                    FloatVector.fromMemorySegment(F, seg, base + 4L * i, ByteOrder.LITTLE_ENDIAN)
                            .fma(cv, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
                }
                for (; i < cols; i++) {
                    out[outOff + i] = Math.fma(seg.get(F32, base + 4L * i), c, out[outOff + i]);
                }
                continue;
            }
            if (type == DType.I8) {
                Int8Dots.requireRowScale(w);
                c *= w.rowScale(r);
            }
            RowStage.widen(seg, type, base, 0, cols, row);
            FloatVector cv = FloatVector.broadcast(F, c);
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, row, i).fma(cv, FloatVector.fromArray(F, out, outOff + i))
                        .intoArray(out, outOff + i);
            }
            for (; i < cols; i++) {
                out[outOff + i] = Math.fma(row[i], c, out[outOff + i]);
            }
        }
    }
    /**
     * {@link VectorBackend#accumulateRowsChunk}: each group's row widened once (as {@link #accumulate} widens it) and
     * added with the same FMA loop into the output of every token of the group, so each token gets the bits of
     * {@link #accumulate} called for it alone. The task's range counts units of {@link #UNIT} output columns: a
     * worker takes the column slice {@code [c0, c1)} of every row, which changes no element's order of additions,
     * so the result is the same on any number of threads. In prefill a row serves many tokens, so a slice fetched
     * by one worker is used many times, unlike a single token's rows (see {@link VectorBackend#accumulateRows}).
     */
    static final class Chunk implements WorkerPool.Task {
        private Tensor w;
        private int[] rows;
        private int groups;
        private int[] start;
        private int[] tokens;
        private float[] coef;
        private float[] out;
        private int outOff;
        private int stride;

        /** Binds one call's arguments; rows and token offsets must already be checked. */
        void prepare(Tensor w, int[] rows, int groups, int[] start, int[] tokens, float[] coef, float[] out, int outOff,
                     int stride) {
            if (w.dtype() == DType.I8) {
                Int8Dots.requireRowScale(w);
            }
            this.w = w;
            this.rows = rows;
            this.groups = groups;
            this.start = start;
            this.tokens = tokens;
            this.coef = coef;
            this.out = out;
            this.outOff = outOff;
            this.stride = stride;
        }

        /** Drops the references to the caller's arrays and the weights once the call is done. */
        void clear() {
            w = null;
            rows = null;
            start = null;
            tokens = null;
            coef = null;
            out = null;
        }

        /** Units of work of the bound call: the output columns in slices of {@link #UNIT}. */
        int units() {
            return (w.cols() + UNIT - 1) / UNIT;
        }

        @Override
        public void run(int from, int to, RowStage stage) {
            int c0 = from * UNIT;
            int len = Math.min(w.cols(), to * UNIT) - c0;
            stage.ensure(len);
            float[] row = stage.row;
            MemorySegment seg = w.data();
            long rowBytes = w.rowBytes();
            DType type = w.dtype();
            boolean i8 = type == DType.I8;
            int bound = F.loopBound(len);
            for (int g = 0; g < groups; g++) {
                int r = rows[g];
                // Block rows: c0 and len are whole blocks (UNIT is a multiple of 32, block rows have 32·k columns).
                RowStage.widen(seg, type, r * rowBytes, c0, len, row);
                float scale = i8 ? w.rowScale(r) : 1f;
                for (int e = start[g]; e < start[g + 1]; e++) {
                    // I8: (c·scale)·q, the coefficient order of accumulate.
                    float c = i8 ? coef[e] * scale : coef[e];
                    int o = outOff + tokens[e] * stride + c0;
                    FloatVector cv = FloatVector.broadcast(F, c);
                    int i = 0;
                    for (; i < bound; i += L) {
                        FloatVector.fromArray(F, row, i).fma(cv, FloatVector.fromArray(F, out, o + i)).intoArray(out, o + i);
                    }
                    for (; i < len; i++) {
                        out[o + i] = Math.fma(row[i], c, out[o + i]);
                    }
                }
            }
        }
    }
}
