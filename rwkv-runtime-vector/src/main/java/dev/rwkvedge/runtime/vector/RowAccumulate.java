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
 * the scalar {@link Tensor#readRow} and then added with the same FMA loop: the value rows of a sparse FFN are read
 * once per token, so their dequantization is a small share of the work next to fetching them from memory.
 *
 * <p>The FMA loop is written out in each place instead of in a helper taking a vector: a vector-typed parameter or
 * result that fails to inline is boxed, which {@code AllocationTest} sees as megabytes per token.
 */
final class RowAccumulate {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
            switch (type) {
                case F16 -> HalfConvert.f16Row(seg, base, row, cols);
                case BF16 -> HalfConvert.bf16Row(seg, base, row, cols);
                case I8 -> {
                    if (!w.hasRowScale()) {
                        throw new UnsupportedOperationException("vector backend: tensor " + w.name() + " is i8 "
                                + "without a row scale (" + Tensor.rowScaleName(w.name()) + "), so it holds raw "
                                + "integers, not weights");
                    }
                    Int8Dots.widen(seg, base, row, cols);
                    c *= w.rowScale(r);
                }
                default -> w.readRow(r, row, 0);
            }
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
}
