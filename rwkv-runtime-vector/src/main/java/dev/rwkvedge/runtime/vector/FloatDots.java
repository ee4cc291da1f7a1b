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
 * Dot products of rows with activation vectors: weight rows held as F32, F16 or BF16 in a segment (single tokens),
 * rows already widened to floats in the stage's native memory against staged activations (sequence mode,
 * {@link #stagedDot}, {@link #staged2x2}), and plain float arrays ({@link #dot}, e.g. RWKV-7's state rows).
 *
 * <p>All share one summation shape per row, so a row gives the same bits whichever way it is read (the widening is
 * exact) and whether it is computed alone or paired with its neighbour: two accumulators over alternating vectors
 * (two independent FMA chains per row), a leftover whole vector into the first, the rotate-and-add tree of
 * {@link VectorShapes} over {@code a0 + a1}, and finally the scalar tail in index order.
 * <pre>
 *   i:   0 … L−1 | L … 2L−1 | 2L … 3L−1 | 3L …   | … | leftover vector | tail
 *        a0        a1         a0          a1        …   a0               scalar
 * </pre>
 *
 * <p>Decoding streams each row once from memory. The paired kernels ({@code …x2}) compute two neighbouring rows in
 * one pass, loading each activation vector once for both: 1.5 instead of 2 loads per FMA and four FMA chains in
 * flight. In one run on the 169M model's F32 head (one thread, mapped file) a two-row prototype streamed about
 * 15 GB/s against 10.5 GB/s for one row at a time, the rate of a plain vector read of the same memory.
 *
 * <h2>Sequence-mode kernels address slices, not the whole stage</h2>
 * Every segment access is bounds-checked. C2 hoists that check out of the loop (loop predication) when the offset
 * is a linear function of the int loop variable within a segment of known size, as in {@code 4L·i} and
 * {@code 4L·i + 4L·L} on a slice that starts at the row. On the whole stage, with {@code w0 + 4L·(i + L)}, it kept
 * about twenty scalar instructions of saturating long-range checks (with stack reloads) per vector load inside the
 * loop (PrintAssembly, JDK 25). {@link #stagedDot} and {@link #staged2x2} therefore slice each row and token first;
 * the slices never escape, so C2 scalar-replaces them (0 bytes allocated per call, thread allocation counter). Same
 * loads, same FMAs, same bits. In one JVM alternating old and new code (one thread, 32 tokens, 2688 × 768):
 * F32 15.4 → 28.1 and F16 20.7 → 29.2 GMAC/s; the whole 169M model's prefill (two threads, 128 tokens)
 * F32 288 → 344 and F16 298 → 351 tokens/s. The single-token kernels keep their form: they wait on memory, and
 * sliced versions measured the same for F32 and F16 and slower for Q8_0 (decode 18.2 → 21.2 ms/token).
 */
final class FloatDots {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Staged floats in native memory are this JVM's own (see {@link RowStage}), never a file's. */
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat NATIVE_FLOAT = ValueLayout.JAVA_FLOAT;
    private static final int STEP = 2 * L;

    private FloatDots() {
    }

    /** Σ w[base+i]·x[xo+i], i &lt; n. */
    static float dot(float[] w, int base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = FloatVector.fromArray(F, w, base + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromArray(F, w, base + i + L).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        if (i < F.loopBound(n)) {
            a0 = FloatVector.fromArray(F, w, base + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
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
            sum += w[base + i] * x[xo + i];
        }
        return sum;
    }

    /**
     * A staged row {@code wr} times a staged activation {@code xr}, each a slice holding at least {@code n}
     * native-order floats in 64-byte-aligned native memory (sequence mode, see {@link RowStage}): the bits
     * of {@link #dot} on the same values.
     */
    static float stagedDot(MemorySegment wr, MemorySegment xr, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = IntVector.fromMemorySegment(I, wr, 4L * i, NATIVE).reinterpretAsFloats()
                    .fma(IntVector.fromMemorySegment(I, xr, 4L * i, NATIVE).reinterpretAsFloats(), a0);
            a1 = IntVector.fromMemorySegment(I, wr, 4L * i + 4L * L, NATIVE).reinterpretAsFloats()
                    .fma(IntVector.fromMemorySegment(I, xr, 4L * i + 4L * L, NATIVE).reinterpretAsFloats(), a1);
        }
        if (i < F.loopBound(n)) {
            a0 = IntVector.fromMemorySegment(I, wr, 4L * i, NATIVE).reinterpretAsFloats()
                    .fma(IntVector.fromMemorySegment(I, xr, 4L * i, NATIVE).reinterpretAsFloats(), a0);
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
            sum += wr.get(NATIVE_FLOAT, 4L * i) * xr.get(NATIVE_FLOAT, 4L * i);
        }
        return sum;
    }

    /**
     * Two staged rows ({@code r0}, {@code r1}) times two staged tokens ({@code t0}, {@code t1}), slices as for
     * {@link #stagedDot}, in one pass, each weight and activation vector loaded once for two products (one load
     * per FMA, against 1.5 for one row against two tokens); {@code out[oRiTj]} = row i · token j, each with the bits of
     * {@link #stagedDot}.
     */
    static void staged2x2(MemorySegment r0, MemorySegment r1, MemorySegment t0, MemorySegment t1, int n,
                          float[] out, int oR0T0, int oR0T1, int oR1T0, int oR1T1) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector b00 = a00;
        FloatVector a01 = a00;
        FloatVector b01 = a00;
        FloatVector a10 = a00;
        FloatVector b10 = a00;
        FloatVector a11 = a00;
        FloatVector b11 = a00;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector u0 = IntVector.fromMemorySegment(I, r0, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector u1 = IntVector.fromMemorySegment(I, r1, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector y0 = IntVector.fromMemorySegment(I, t0, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector y1 = IntVector.fromMemorySegment(I, t1, 4L * i, NATIVE).reinterpretAsFloats();
            a00 = u0.fma(y0, a00);
            a01 = u0.fma(y1, a01);
            a10 = u1.fma(y0, a10);
            a11 = u1.fma(y1, a11);
            FloatVector v0 = IntVector.fromMemorySegment(I, r0, 4L * i + 4L * L, NATIVE).reinterpretAsFloats();
            FloatVector v1 = IntVector.fromMemorySegment(I, r1, 4L * i + 4L * L, NATIVE).reinterpretAsFloats();
            FloatVector z0 = IntVector.fromMemorySegment(I, t0, 4L * i + 4L * L, NATIVE).reinterpretAsFloats();
            FloatVector z1 = IntVector.fromMemorySegment(I, t1, 4L * i + 4L * L, NATIVE).reinterpretAsFloats();
            b00 = v0.fma(z0, b00);
            b01 = v0.fma(z1, b01);
            b10 = v1.fma(z0, b10);
            b11 = v1.fma(z1, b11);
        }
        if (i < F.loopBound(n)) {
            FloatVector u0 = IntVector.fromMemorySegment(I, r0, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector u1 = IntVector.fromMemorySegment(I, r1, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector y0 = IntVector.fromMemorySegment(I, t0, 4L * i, NATIVE).reinterpretAsFloats();
            FloatVector y1 = IntVector.fromMemorySegment(I, t1, 4L * i, NATIVE).reinterpretAsFloats();
            a00 = u0.fma(y0, a00);
            a01 = u0.fma(y1, a01);
            a10 = u1.fma(y0, a10);
            a11 = u1.fma(y1, a11);
            i += L;
        }
        FloatVector s = a00.add(b00);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float s00 = s.lane(0);
        s = a01.add(b01);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float s01 = s.lane(0);
        s = a10.add(b10);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float s10 = s.lane(0);
        s = a11.add(b11);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float s11 = s.lane(0);
        for (; i < n; i++) {
            float p0 = r0.get(NATIVE_FLOAT, 4L * i);
            float p1 = r1.get(NATIVE_FLOAT, 4L * i);
            float q0 = t0.get(NATIVE_FLOAT, 4L * i);
            float q1 = t1.get(NATIVE_FLOAT, 4L * i);
            s00 += p0 * q0;
            s01 += p0 * q1;
            s10 += p1 * q0;
            s11 += p1 * q1;
        }
        out[oR0T0] = s00;
        out[oR0T1] = s01;
        out[oR1T0] = s10;
        out[oR1T1] = s11;
    }

    /** One F32 row at byte {@code base} of {@code w} times {@code x[xo..xo+n)}. */
    static float dotF32(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = FloatVector.fromMemorySegment(F, w, base + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, base + 4L * (i + L), ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        if (i < F.loopBound(n)) {
            a0 = FloatVector.fromMemorySegment(F, w, base + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(F, x, xo + i), a0);
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
            sum += w.get(F32, base + 4L * i) * x[xo + i];
        }
        return sum;
    }

    /** Rows at bytes {@code base0} and {@code base1}, each with the bits of {@link #dotF32}, into {@code out[o0]}, {@code out[o1]}. */
    static void dotF32x2(MemorySegment w, long base0, long base1, float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + i + L);
            a0 = FloatVector.fromMemorySegment(F, w, base0 + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, base0 + 4L * (i + L), ByteOrder.LITTLE_ENDIAN).fma(x1, a1);
            c0 = FloatVector.fromMemorySegment(F, w, base1 + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(x0, c0);
            c1 = FloatVector.fromMemorySegment(F, w, base1 + 4L * (i + L), ByteOrder.LITTLE_ENDIAN).fma(x1, c1);
        }
        if (i < F.loopBound(n)) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromMemorySegment(F, w, base0 + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(x0, a0);
            c0 = FloatVector.fromMemorySegment(F, w, base1 + 4L * (i), ByteOrder.LITTLE_ENDIAN).fma(x0, c0);
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
            sum0 += w.get(F32, base0 + 4L * i) * x[xo + i];
            sum1 += w.get(F32, base1 + 4L * i) * x[xo + i];
        }
        out[o0] = sum0;
        out[o1] = sum1;
    }

    /**
     * One binary16 row times an activation that the caller rounded to binary16 <em>and multiplied by 2^112</em>
     * ({@link HalfConvert#F16_SCALE}). The weights are widened as in {@link HalfConvert} but without the final
     * × 2^112, which sits in the activation instead: one vector multiply less per L weights, where F16 products are
     * bound by the vector ALU, not by memory. Same bits as widening fully: w·2^−112 and x·2^112 are both exact (a
     * binary16 weight times 2^−112 is at least 2^−136, a float subnormal held exactly; a finite binary16 activation
     * times 2^112 stays below the float maximum), so each FMA sees the same exact product w·x and rounds the same
     * sum. The scalar tail undoes the activation's scaling, exactly.
     */
    static float dotF16(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        if (i < F.loopBound(n)) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
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
            sum += Float.float16ToFloat(w.get(HalfConvert.I16, base + 2L * i)) * (x[xo + i] * HalfConvert.F16_UNSCALE);
        }
        return sum;
    }

    /** Two binary16 rows (activation scaled as for {@link #dotF16}), each with the bits of {@link #dotF16}. */
    static void dotF16x2(MemorySegment w, long base0, long base1, float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + i + L);
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x0, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x1, a1);
            c0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x0, c0);
            c1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x1, c1);
        }
        if (i < F.loopBound(n)) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x0, a0);
            c0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(HalfConvert.F16_MASK)
                    .reinterpretAsFloats().fma(x0, c0);
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
            sum0 += Float.float16ToFloat(w.get(HalfConvert.I16, base0 + 2L * i)) * (x[xo + i] * HalfConvert.F16_UNSCALE);
            sum1 += Float.float16ToFloat(w.get(HalfConvert.I16, base1 + 2L * i)) * (x[xo + i] * HalfConvert.F16_UNSCALE);
        }
        out[o0] = sum0;
        out[o1] = sum1;
    }

    /** One bfloat16 row times {@code x}. */
    static float dotBF16(MemorySegment w, long base, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        if (i < F.loopBound(n)) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xo + i), a0);
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
            sum += HalfConvert.bf16Scalar(w.get(HalfConvert.I16, base + 2L * i)) * x[xo + i];
        }
        return sum;
    }

    /** Two bfloat16 rows, each with the bits of {@link #dotBF16}. */
    static void dotBF16x2(MemorySegment w, long base0, long base1, float[] x, int xo, int n, float[] out, int o0, int o1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        int i = 0;
        for (int bound = n - n % STEP; i < bound; i += STEP) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + i + L);
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, a1);
            c0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, c0);
            c1 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i + L), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, c1);
        }
        if (i < F.loopBound(n)) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i);
            a0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base0 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            c0 = ((IntVector) ShortVector.fromMemorySegment(H, w, base1 + 2L * (i), ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, c0);
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
            sum0 += HalfConvert.bf16Scalar(w.get(HalfConvert.I16, base0 + 2L * i)) * x[xo + i];
            sum1 += HalfConvert.bf16Scalar(w.get(HalfConvert.I16, base1 + 2L * i)) * x[xo + i];
        }
        out[o0] = sum0;
        out[o1] = sum1;
    }
}
