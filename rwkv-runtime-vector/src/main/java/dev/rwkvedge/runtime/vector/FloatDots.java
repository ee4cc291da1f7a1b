package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.H;
import static dev.rwkvedge.runtime.vector.VectorShapes.I;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_SIXTEENTH;

/**
 * Dot products of one weight row with one activation vector, for rows held as F32, F16 or BF16 in a segment, or
 * already widened to floats in an array (the sequence-mode staging buffer).
 *
 * <p>All four share one summation shape, so a row gives the same bits whichever way it is read (the widening is
 * exact): four accumulators over interleaved vectors (lanes i ≡ k mod 4L go to accumulator k; four independent FMA
 * chains hide the FMA latency, as in llama3.java's dot products), leftover whole vectors into the first, the fixed
 * tree {@code (a0+a1)+(a2+a3)} then the rotate-and-add tree of {@link VectorShapes}, and finally the scalar tail in index order.
 * <pre>
 *   i:   0 … L−1 | L … 2L−1 | 2L … 3L−1 | 3L … 4L−1 | 4L …      | … | whole vectors | tail
 *        a0        a1         a2          a3          a0          …   a0              scalar
 * </pre>
 */
final class FloatDots {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int STEP = 4 * L;

    private FloatDots() {
    }

    /** Σ w[wo+i]·x[xo+i], i &lt; n. */
    static float dot(float[] w, int wo, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = FloatVector.fromArray(F, w, wo + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromArray(F, w, wo + i + L).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = FloatVector.fromArray(F, w, wo + i + 2 * L).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, w, wo + i + 3 * L).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a0 = FloatVector.fromArray(F, w, wo + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        FloatVector s = a0.add(a1).add(a2.add(a3));
        s = s.add(s.rearrange(ROT_HALF));
        if (L >= 4) {
            s = s.add(s.rearrange(ROT_QUARTER));
        }
        if (L >= 8) {
            s = s.add(s.rearrange(ROT_EIGHTH));
        }
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum = s.lane(0);
        for (; i < n; i++) {
            sum += w[wo + i] * x[xo + i];
        }
        return sum;
    }

    /** One F32 row at byte {@code base} of {@code w} times {@code x[xo..xo+n)}. */
    static float dotF32(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            long o = base + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, w, o, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, o + 4L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = FloatVector.fromMemorySegment(F, w, o + 8L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(F, w, o + 12L * L, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a0 = FloatVector.fromMemorySegment(F, w, base + 4L * i, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        FloatVector s = a0.add(a1).add(a2.add(a3));
        s = s.add(s.rearrange(ROT_HALF));
        if (L >= 4) {
            s = s.add(s.rearrange(ROT_QUARTER));
        }
        if (L >= 8) {
            s = s.add(s.rearrange(ROT_EIGHTH));
        }
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum = s.lane(0);
        for (; i < n; i++) {
            sum += w.get(F32, base + 4L * i) * x[xo + i];
        }
        return sum;
    }

    /** One binary16 row (converted as in {@link HalfConvert}) times {@code x}, which the caller rounded to binary16. */
    static float dotF16(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            long o = base + 2L * i;
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, o, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().mul(HalfConvert.F16_REBIAS).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 2L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().mul(HalfConvert.F16_REBIAS).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 4L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().mul(HalfConvert.F16_REBIAS).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 6L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().mul(HalfConvert.F16_REBIAS).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().mul(HalfConvert.F16_REBIAS).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        FloatVector s = a0.add(a1).add(a2.add(a3));
        s = s.add(s.rearrange(ROT_HALF));
        if (L >= 4) {
            s = s.add(s.rearrange(ROT_QUARTER));
        }
        if (L >= 8) {
            s = s.add(s.rearrange(ROT_EIGHTH));
        }
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum = s.lane(0);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(HalfConvert.I16, base + 2L * i)) * x[xo + i];
        }
        return sum;
    }

    /** One bfloat16 row times {@code x}. */
    static float dotBF16(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            long o = base + 2L * i;
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, o, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 2L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 4L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = ((IntVector) ShortVector.fromMemorySegment(H, w, o + 6L * L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (int bound = F.loopBound(n); i < bound; i += L) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        FloatVector s = a0.add(a1).add(a2.add(a3));
        s = s.add(s.rearrange(ROT_HALF));
        if (L >= 4) {
            s = s.add(s.rearrange(ROT_QUARTER));
        }
        if (L >= 8) {
            s = s.add(s.rearrange(ROT_EIGHTH));
        }
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum = s.lane(0);
        for (; i < n; i++) {
            sum += HalfConvert.bf16Scalar(w.get(HalfConvert.I16, base + 2L * i)) * x[xo + i];
        }
        return sum;
    }
}
