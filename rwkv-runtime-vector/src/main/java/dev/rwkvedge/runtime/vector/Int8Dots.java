package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.B;
import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_SIXTEENTH;

/**
 * Dot products of per-row INT8 weight rows (one signed byte per weight, row scale applied by the caller) with a float
 * activation: {@code Σ_i q[i]·x[i]}, the part of the {@code KernelBackend} contract's {@code scale[r]·Σ q·x} that
 * touches the row.
 *
 * <p>L bytes are loaded at a time and widened to L float lanes ({@code B2F}: on AVX-512 a sign-extending byte-to-int
 * move and an int-to-float conversion), which is exact, then multiplied into the accumulators with FMA. The summation
 * shape is {@link FloatDots}'s, lane for lane: two accumulators over alternating vectors, a leftover whole vector into
 * the first, the rotate-and-add tree over {@code a0 + a1}, the scalar tail in index order. So a row read here gives
 * the bits {@link FloatDots#dot} gives for the same row widened into an array ({@link #widen}), which is how sequence
 * mode runs it: every token of a chunk gets the bits of the single-token product.
 * <pre>
 *   bytes:  q0 … q(L−1) | qL … q(2L−1) | … | leftover | tail
 *           B2F → a0      B2F → a1       …   a0         scalar
 * </pre>
 * Rows come in pairs ({@link #dotx2}) so that each activation vector is loaded once for two rows and four FMA chains
 * are in flight, as in {@link FloatDots}. Compared with Q8_0 ({@link BlockDots}) there is no activation quantization
 * and no per-block scale FMA: one FMA per L weights and one multiplication per row.
 */
final class Int8Dots {
    private static final int STEP = 2 * L;

    private Int8Dots() {
    }

    /** {@code Σ q[i]·x[xo+i]} for the {@code n} signed bytes at byte {@code base} of {@code w}. */
    static float dot(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, w, base + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B, w, base + i + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = w1.fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        if (i < F.loopBound(n)) {
            FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, w, base + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0);
            a0 = w0.fma(FloatVector.fromArray(F, x, xo + i), a0);
            i += L;
        }
        FloatVector s = a0.add(a1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum = s.lane(0);
        for (; i < n; i++) {
            sum += w.get(ValueLayout.JAVA_BYTE, base + i) * x[xo + i];
        }
        return sum;
    }

    /** Rows at bytes {@code base0} and {@code base1}, each with the bits of {@link #dot}, into {@code out[o0]}, {@code out[o1]}. */
    static void dotx2(MemorySegment w, long base0, long base1, float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + i + L);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base0 + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x0, a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base0 + i + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x1, a1);
            c0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base1 + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x0, c0);
            c1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base1 + i + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x1, c1);
        }
        if (i < F.loopBound(n)) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base0 + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x0, a0);
            c0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, base1 + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(x0, c0);
            i += L;
        }
        FloatVector s = a0.add(a1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum0 = s.lane(0);
        s = c0.add(c1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum1 = s.lane(0);
        for (; i < n; i++) {
            sum0 += w.get(ValueLayout.JAVA_BYTE, base0 + i) * x[xo + i];
            sum1 += w.get(ValueLayout.JAVA_BYTE, base1 + i) * x[xo + i];
        }
        out[o0] = sum0;
        out[o1] = sum1;
    }

    /**
     * Refuses an I8 tensor without its row scale: without one it holds raw integers, not weights, and every
     * INT8 product here multiplies by the scale.
     */
    static void requireRowScale(Tensor w) {
        if (!w.hasRowScale()) {
            throw new UnsupportedOperationException("vector backend: tensor " + w.name() + " is i8 without a row "
                    + "scale (" + Tensor.rowScaleName(w.name()) + "), so it holds raw integers, not weights");
        }
    }

    /** Widens the {@code n} signed bytes at {@code base} into {@code row[0..n)} (exact), for sequence mode. */
    static void widen(MemorySegment w, long base, float[] row, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            ((FloatVector) ByteVector.fromMemorySegment(B, w, base + i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, F, 0)).intoArray(row, i);
        }
        for (; i < n; i++) {
            row[i] = w.get(ValueLayout.JAVA_BYTE, base + i);
        }
    }
}
