package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.B;
import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.I;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_SIXTEENTH;

/**
 * Dot products of one ggml block-quantized row with an activation quantized to Q8_0/Q8_1 (by
 * {@link ActivationQuantizer}), following the {@code KernelBackend} contract: per block
 * {@code d_w·d_x·Σ q_w·q_x} (+ {@code m_w·s_x} for Q4_1/Q5_1).
 *
 * <h2>How</h2>
 * The weight quants are unpacked to int lanes (Q8_0 bytes sign-extended; Q4/Q5 bytes zero-extended and split as
 * {@link #q4} explains; Q5's fifth bits rotated out of {@code qh} lane by lane), converted to float and multiplied
 * with the activation quants, which the quantizer stores as floats. Every product and every partial sum inside a block is an integer below 2^24
 * (|q_w| ≤ 128, |q_x| ≤ 127, 32 terms), so this float arithmetic is exact: it <em>is</em> the integer sum
 * Σ q_w·q_x, just held in L float lanes. (Float multiply-add is one cheap instruction; the Vector API has no
 * int8 dot-product instruction such as VNNI's vpdpbusd, and 32-bit integer multiply costs two.) The block's lanes
 * are then scaled with one FMA per block into one of two accumulators (blocks alternate between two independent
 * chains, so consecutive FMAs do not wait for each other), and the lanes are summed once per row. This is the shape
 * of ggml's AVX kernels ({@code ggml_vec_dot_q8_0_q8_0}: {@code acc = fmadd(d, sumi, acc)}) and of llama3.java's
 * Q8_0 dot product (a lane-wise block sum, then one FMA with the broadcast block scale). The minimum term of
 * Q4_1/Q5_1 is a separate scalar sum in block order.
 *
 * <h2>Block scales in the direct kernels</h2>
 * The single-token kernels take the activation's block scales multiplied by 2^112 ({@code dx}, {@code sx} as
 * {@link MatmulJob} passes them) and widen the weight's binary16 scales without the rebias
 * ({@link HalfConvert#unscaled}): (d_w·2^−112)·(d_x·2^112) is the exact product d_w·d_x, rounded once as before, so
 * the bits are those of {@code float16ToFloat(d_w)·d_x} (and of the staged path, which forms that product), at two
 * integer operations instead of a half-float conversion on the vector ports: 9% on the in-cache Q8_0 kernel and
 * 5-6% on a 320 MB matrix (one thread, CPU time).
 *
 * <h2>Block layouts (ggml-common.h, {@link dev.rwkvedge.tensor.GgmlBlocks})</h2>
 * <pre>
 * Q8_0  | d f16 | qs int8[32] |                              34 bytes
 * Q4_0  | d f16 | qs[16] |                                   18 bytes, q = nibble − 8
 * Q4_1  | d f16 | m f16 | qs[16] |                           20 bytes, q = nibble (unsigned), x = q·d + m
 * Q5_0  | d f16 | qh u32 | qs[16] |                          22 bytes, q = (nibble | bit j of qh &lt;&lt; 4) − 16
 * Q5_1  | d f16 | m f16 | qh u32 | qs[16] |                  24 bytes
 * qs[k]: bits 3..0 = element k, bits 7..4 = element k+16;  qh bit j = fifth bit of element j
 * </pre>
 *
 * <h2>Two entry points, one arithmetic</h2>
 * Single tokens read the row straight from the weights ({@link #q8_0}, {@link #q4}, {@link #q5}, and in pairs
 * {@link #q8_0x2}, {@link #q4x2}, {@link #q5x2}, which load each activation vector once for two rows, as
 * {@link FloatDots} does); sequence mode unpacks rows once ({@link #stage}) and runs {@link #staged2x2} (two rows ×
 * two tokens) or {@link #staged} for every token of the chunk. All produce the same exact block values and apply
 * the same scale FMAs in the same order, so they give the same bits. Each kernel is
 * one flat method (see {@link VectorShapes} on why vector helpers are avoided). The staged kernels read slices of
 * the stage and the activation so that C2 hoists their bounds checks (see {@link FloatDots}; Q8_0 prefill of the 169M
 * model 249 → 260 tokens/s in the same alternating run).
 */
final class BlockDots {
    static final int QK = 32;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Byte order of the staging buffers (this JVM's own floats, never a file's). */
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements per half block: a Q4/Q5 byte holds element j (low nibble) and element j + 16 (high nibble). */
    static final int HALF = QK / 2;
    /** Lane shift counts for Q5's fifth bits in {@link #stage}: element e takes bit e of qh. */
    private static final int[] BIT_INDEX = new int[QK];
    /** Right rotations of qh that bring bit j to bit 4 ({@code ROR_LO}) and bit j + 16 to bit 8 ({@code ROR_HI}). */
    private static final int[] ROR_LO = new int[HALF];
    private static final int[] ROR_HI = new int[HALF];

    static {
        for (int i = 0; i < BIT_INDEX.length; i++) {
            BIT_INDEX[i] = i;
        }
        for (int j = 0; j < HALF; j++) {
            ROR_LO[j] = (j - 4) & 31;
            ROR_HI[j] = j + 8;
        }
    }

    private BlockDots() {
    }

    /**
     * One Q8_0 row of {@code blocks} blocks at byte {@code base}, times activation quants {@code xq[xo..]} with
     * block scales {@code dx[dOff..]} (times 2^112, see the class comment).
     */
    static float q8_0(MemorySegment seg, long base, int blocks, float[] xq, int xo, float[] dx, int dOff) {
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        for (int b = 0; b < blocks; b++) {
            long off = base + 34L * b;
            int xb = xo + b * QK;
            FloatVector p = FloatVector.zero(F);
            for (int j = 0; j < QK; j += L) {
                FloatVector w = (FloatVector) ByteVector.fromMemorySegment(B, seg, off + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0);
                p = w.fma(FloatVector.fromArray(F, xq, xb + j), p);
            }
            float d = HalfConvert.unscaled(seg.get(F16, off)) * dx[dOff + b];
            FloatVector next = p.fma(FloatVector.broadcast(F, d), older);
            older = newer;
            newer = next;
        }
        FloatVector s = older.add(newer);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        return s.lane(0);
    }

    /** Two Q8_0 rows at bytes {@code base0}, {@code base1}, sharing the activation loads; each row gets the bits of {@link #q8_0}. */
    static void q8_0x2(MemorySegment seg, long base0, long base1, int blocks, float[] xq, int xo, float[] dx, int dOff,
                       float[] out, int o0, int o1) {
        FloatVector older0 = FloatVector.zero(F);
        FloatVector newer0 = older0;
        FloatVector older1 = older0;
        FloatVector newer1 = older0;
        for (int b = 0; b < blocks; b++) {
            long off0 = base0 + 34L * b;
            long off1 = base1 + 34L * b;
            int xb = xo + b * QK;
            FloatVector p0 = FloatVector.zero(F);
            FloatVector p1 = p0;
            for (int j = 0; j < QK; j += L) {
                FloatVector xv = FloatVector.fromArray(F, xq, xb + j);
                FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B, seg, off0 + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0);
                FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B, seg, off1 + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0);
                p0 = w0.fma(xv, p0);
                p1 = w1.fma(xv, p1);
            }
            float dxb = dx[dOff + b];
            FloatVector next0 = p0.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off0)) * dxb), older0);
            FloatVector next1 = p1.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off1)) * dxb), older1);
            older0 = newer0;
            newer0 = next0;
            older1 = newer1;
            newer1 = next1;
        }
        FloatVector s = older0.add(newer0);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o0] = s.lane(0);
        s = older1.add(newer1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o1] = s.lane(0);
    }

    /**
     * The activation of one token for the Q4/Q5 kernels, from its quants {@code xq[xo..xo+32·blocks)}: per block and
     * half-block lane j &lt; 16, with lo = xq[xo + 32b + j] and hi = xq[xo + 32b + 16 + j],
     * <pre>
     *   xa = lo − hi/16      xb = hi/16      xs = −bias·(lo + hi)      (bias 8 for Q4_0, 16 for Q5_0, else 0)
     * </pre>
     * at {@code [ho + 16b + j]}. See {@link #q4} for why; every value is exact (a multiple of 1/16 below 2^12).
     */
    static void nibbleActivation(float[] xq, int xo, int blocks, int bias, float[] xa, float[] xb, float[] xs, int ho) {
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < HALF; k += L) {
                FloatVector lo = FloatVector.fromArray(F, xq, xo + b * QK + k);
                FloatVector hi = FloatVector.fromArray(F, xq, xo + b * QK + HALF + k);
                FloatVector hi16 = hi.mul(0.0625f);
                int h = ho + b * HALF + k;
                lo.sub(hi16).intoArray(xa, h);
                hi16.intoArray(xb, h);
                (bias == 0 ? FloatVector.zero(F) : lo.add(hi).mul(-bias)).intoArray(xs, h);
            }
        }
    }

    /**
     * One Q4_0 ({@code withMin} false: q = nibble − 8) or Q4_1 ({@code withMin} true: q = nibble, plus the
     * minimum term m_w·s_x) row, against an activation prepared by {@link #nibbleActivation}.
     *
     * <p>A byte of {@code qs} zero-extended is v = lo + 16·hi (lo, hi its nibbles, elements j and j + 16), so
     * <pre>
     *   (lo − bias)·x_lo + (hi − bias)·x_hi  =  lo·(x_lo − x_hi/16) + v·(x_hi/16) − bias·(x_lo + x_hi)
     *                                        =  lo·xa + v·xb + xs
     * </pre>
     * which costs one mask and two int-to-float conversions per L bytes (instead of shifting out the high nibble and
     * subtracting the bias from both), and two FMAs. Every operand is a multiple of 1/16 below 2^13 and every
     * partial sum one below 2^14, so each lane still holds its exact integer (the bits the staged sequence path
     * computes from unpacked quants).
     */
    static float q4(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xa, float[] xb, float[] xs, int ho, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 20 : 18;
        int qs = withMin ? 4 : 2;
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        float min = 0;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) bb * b;
            int h = ho + b * HALF;
            FloatVector p = FloatVector.fromArray(F, xs, h);
            for (int k = L; k < HALF; k += L) {
                p = p.add(FloatVector.fromArray(F, xs, h + k));
            }
            for (int k = 0; k < HALF; k += L) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + qs + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo = (FloatVector) v.and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector all = (FloatVector) v.convert(VectorOperators.I2F, 0);
                p = lo.fma(FloatVector.fromArray(F, xa, h + k), all.fma(FloatVector.fromArray(F, xb, h + k), p));
            }
            float d = HalfConvert.unscaled(seg.get(F16, off)) * dx[dOff + b];
            FloatVector next = p.fma(FloatVector.broadcast(F, d), older);
            older = newer;
            newer = next;
            if (withMin) {
                min += HalfConvert.unscaled(seg.get(F16, off + 2)) * sx[dOff + b];
            }
        }
        FloatVector s = older.add(newer);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        return withMin ? s.lane(0) + min : s.lane(0);
    }

    /** Two Q4_0/Q4_1 rows sharing the activation loads; each row gets the bits of {@link #q4}. */
    static void q4x2(MemorySegment seg, long base0, long base1, int blocks, boolean withMin,
                     float[] xa, float[] xb, float[] xs, int ho, float[] dx, float[] sx, int dOff,
                     float[] out, int o0, int o1) {
        int bb = withMin ? 20 : 18;
        int qs = withMin ? 4 : 2;
        FloatVector older0 = FloatVector.zero(F);
        FloatVector newer0 = older0;
        FloatVector older1 = older0;
        FloatVector newer1 = older0;
        float min0 = 0;
        float min1 = 0;
        for (int b = 0; b < blocks; b++) {
            long off0 = base0 + (long) bb * b;
            long off1 = base1 + (long) bb * b;
            int h = ho + b * HALF;
            FloatVector p0 = FloatVector.fromArray(F, xs, h);
            for (int k = L; k < HALF; k += L) {
                p0 = p0.add(FloatVector.fromArray(F, xs, h + k));
            }
            FloatVector p1 = p0;
            for (int k = 0; k < HALF; k += L) {
                FloatVector xav = FloatVector.fromArray(F, xa, h + k);
                FloatVector xbv = FloatVector.fromArray(F, xb, h + k);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, seg, off0 + qs + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, seg, off1 + qs + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector lo0 = (FloatVector) v0.and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector lo1 = (FloatVector) v1.and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector all0 = (FloatVector) v0.convert(VectorOperators.I2F, 0);
                FloatVector all1 = (FloatVector) v1.convert(VectorOperators.I2F, 0);
                p0 = lo0.fma(xav, all0.fma(xbv, p0));
                p1 = lo1.fma(xav, all1.fma(xbv, p1));
            }
            float dxb = dx[dOff + b];
            FloatVector next0 = p0.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off0)) * dxb), older0);
            FloatVector next1 = p1.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off1)) * dxb), older1);
            older0 = newer0;
            newer0 = next0;
            older1 = newer1;
            newer1 = next1;
            if (withMin) {
                float sxb = sx[dOff + b];
                min0 += HalfConvert.unscaled(seg.get(F16, off0 + 2)) * sxb;
                min1 += HalfConvert.unscaled(seg.get(F16, off1 + 2)) * sxb;
            }
        }
        FloatVector s = older0.add(newer0);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o0] = withMin ? s.lane(0) + min0 : s.lane(0);
        s = older1.add(newer1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o1] = withMin ? s.lane(0) + min1 : s.lane(0);
    }

    /**
     * One Q5_0 ({@code withMin} false: q − 16) or Q5_1 ({@code withMin} true) row, against an activation prepared by
     * {@link #nibbleActivation}: {@link #q4}'s identity with 5-bit values. Rotating {@code qh} right lane by lane
     * puts element j's fifth bit at bit 4 (e0 = 16·bit) and element j + 16's at bit 8 (e1 = 256·bit):
     * <pre>
     *   lo5 = (v AND 0xF) OR e0          w = lo5 + 16·hi5 = v + e0 + e1
     *   (lo5 − bias)·x_lo + (hi5 − bias)·x_hi  =  lo5·xa + w·xb + xs
     * </pre>
     */
    static float q5(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xa, float[] xb, float[] xs, int ho, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 24 : 22;
        int qhAt = withMin ? 4 : 2;
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        float min = 0;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) bb * b;
            int h = ho + b * HALF;
            IntVector qh = IntVector.broadcast(I, seg.get(U32, off + qhAt));
            FloatVector p = FloatVector.fromArray(F, xs, h);
            for (int k = L; k < HALF; k += L) {
                p = p.add(FloatVector.fromArray(F, xs, h + k));
            }
            for (int k = 0; k < HALF; k += L) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + qhAt + 4 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector e0 = qh.lanewise(VectorOperators.ROR, IntVector.fromArray(I, ROR_LO, k)).and(0x10);
                IntVector e1 = qh.lanewise(VectorOperators.ROR, IntVector.fromArray(I, ROR_HI, k)).and(0x100);
                FloatVector lo = (FloatVector) v.and(0x0F).or(e0).convert(VectorOperators.I2F, 0);
                FloatVector all = (FloatVector) v.add(e0).add(e1).convert(VectorOperators.I2F, 0);
                p = lo.fma(FloatVector.fromArray(F, xa, h + k), all.fma(FloatVector.fromArray(F, xb, h + k), p));
            }
            float d = HalfConvert.unscaled(seg.get(F16, off)) * dx[dOff + b];
            FloatVector next = p.fma(FloatVector.broadcast(F, d), older);
            older = newer;
            newer = next;
            if (withMin) {
                min += HalfConvert.unscaled(seg.get(F16, off + 2)) * sx[dOff + b];
            }
        }
        FloatVector s = older.add(newer);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        return withMin ? s.lane(0) + min : s.lane(0);
    }

    /** Two Q5_0/Q5_1 rows sharing the activation loads; each row gets the bits of {@link #q5}. */
    static void q5x2(MemorySegment seg, long base0, long base1, int blocks, boolean withMin,
                     float[] xa, float[] xb, float[] xs, int ho, float[] dx, float[] sx, int dOff,
                     float[] out, int o0, int o1) {
        int bb = withMin ? 24 : 22;
        int qhAt = withMin ? 4 : 2;
        FloatVector older0 = FloatVector.zero(F);
        FloatVector newer0 = older0;
        FloatVector older1 = older0;
        FloatVector newer1 = older0;
        float min0 = 0;
        float min1 = 0;
        for (int b = 0; b < blocks; b++) {
            long off0 = base0 + (long) bb * b;
            long off1 = base1 + (long) bb * b;
            int h = ho + b * HALF;
            IntVector qh0 = IntVector.broadcast(I, seg.get(U32, off0 + qhAt));
            IntVector qh1 = IntVector.broadcast(I, seg.get(U32, off1 + qhAt));
            FloatVector p0 = FloatVector.fromArray(F, xs, h);
            for (int k = L; k < HALF; k += L) {
                p0 = p0.add(FloatVector.fromArray(F, xs, h + k));
            }
            FloatVector p1 = p0;
            for (int k = 0; k < HALF; k += L) {
                FloatVector xav = FloatVector.fromArray(F, xa, h + k);
                FloatVector xbv = FloatVector.fromArray(F, xb, h + k);
                IntVector rlo = IntVector.fromArray(I, ROR_LO, k);
                IntVector rhi = IntVector.fromArray(I, ROR_HI, k);
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, seg, off0 + qhAt + 4 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, seg, off1 + qhAt + 4 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector e00 = qh0.lanewise(VectorOperators.ROR, rlo).and(0x10);
                IntVector e01 = qh0.lanewise(VectorOperators.ROR, rhi).and(0x100);
                IntVector e10 = qh1.lanewise(VectorOperators.ROR, rlo).and(0x10);
                IntVector e11 = qh1.lanewise(VectorOperators.ROR, rhi).and(0x100);
                FloatVector lo0 = (FloatVector) v0.and(0x0F).or(e00).convert(VectorOperators.I2F, 0);
                FloatVector lo1 = (FloatVector) v1.and(0x0F).or(e10).convert(VectorOperators.I2F, 0);
                FloatVector all0 = (FloatVector) v0.add(e00).add(e01).convert(VectorOperators.I2F, 0);
                FloatVector all1 = (FloatVector) v1.add(e10).add(e11).convert(VectorOperators.I2F, 0);
                p0 = lo0.fma(xav, all0.fma(xbv, p0));
                p1 = lo1.fma(xav, all1.fma(xbv, p1));
            }
            float dxb = dx[dOff + b];
            FloatVector next0 = p0.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off0)) * dxb), older0);
            FloatVector next1 = p1.fma(FloatVector.broadcast(F, HalfConvert.unscaled(seg.get(F16, off1)) * dxb), older1);
            older0 = newer0;
            newer0 = next0;
            older1 = newer1;
            newer1 = next1;
            if (withMin) {
                float sxb = sx[dOff + b];
                min0 += HalfConvert.unscaled(seg.get(F16, off0 + 2)) * sxb;
                min1 += HalfConvert.unscaled(seg.get(F16, off1 + 2)) * sxb;
            }
        }
        FloatVector s = older0.add(newer0);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o0] = withMin ? s.lane(0) + min0 : s.lane(0);
        s = older1.add(newer1);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[o1] = withMin ? s.lane(0) + min1 : s.lane(0);
    }

    /**
     * Unpacks one row for sequence mode: quants as floats in element order into {@code wq} from byte {@code wqOff}
     * (native order; see {@link RowStage} on why not an array), scales
     * into {@code dw}, and for Q4_1/Q5_1 minimums into {@code mw} (the single-token kernels' unpacking, stored).
     */
    static void stage(DType type, MemorySegment seg, long base, int blocks, MemorySegment wq, long wqOff, float[] dw,
                      float[] mw) {
        int bb = type.blockBytes();
        boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
        int bias = switch (type) {
            case Q4_0 -> 8;
            case Q5_0 -> 16;
            default -> 0;
        };
        int header = withMin ? 4 : 2; // d (and m): where Q4's qs and Q5's qh start
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) bb * b;
            int e0 = b * QK;
            dw[b] = Float.float16ToFloat(seg.get(F16, off));
            if (withMin) {
                mw[b] = Float.float16ToFloat(seg.get(F16, off + 2));
            }
            switch (type) {
                case Q8_0 -> {
                    for (int j = 0; j < QK; j += L) {
                        ((FloatVector) ByteVector.fromMemorySegment(B, seg, off + 2 + j, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2F, F, 0)).intoMemorySegment(wq, wqOff + 4L * (e0 + j), NATIVE);
                    }
                }
                case Q4_0, Q4_1 -> {
                    for (int k = 0; k < 16; k += L) {
                        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + header + k, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2I, I, 0);
                        ((FloatVector) v.and(0x0F).sub(bias).convert(VectorOperators.I2F, 0)).intoMemorySegment(wq, wqOff + 4L * (e0 + k), NATIVE);
                        ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias).convert(VectorOperators.I2F, 0))
                                .intoMemorySegment(wq, wqOff + 4L * (e0 + 16 + k), NATIVE);
                    }
                }
                case Q5_0, Q5_1 -> {
                    IntVector qh = IntVector.broadcast(I, seg.get(U32, off + header));
                    for (int k = 0; k < 16; k += L) {
                        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + header + 4 + k, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2I, I, 0);
                        IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BIT_INDEX, k))
                                .lanewise(VectorOperators.LSHL, 4).and(0x10);
                        IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BIT_INDEX, k + 16))
                                .lanewise(VectorOperators.LSHL, 4).and(0x10);
                        ((FloatVector) v.and(0x0F).or(h0).sub(bias).convert(VectorOperators.I2F, 0)).intoMemorySegment(wq, wqOff + 4L * (e0 + k), NATIVE);
                        ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(h1).sub(bias).convert(VectorOperators.I2F, 0))
                                .intoMemorySegment(wq, wqOff + 4L * (e0 + 16 + k), NATIVE);
                    }
                }
                default -> throw new IllegalArgumentException(type + " is not a block type");
            }
        }
    }

    /**
     * The block scale products of staged rows for {@code count} consecutive tokens:
     * {@code cs[t·blocks + b] = dw[b]·dx[dOff + t·blocks + b]}, the same float product the direct kernels form per
     * block ({@code d_w·d_x}), computed lanewise once per row and token instead of once per block in the kernel.
     */
    static void scales(float[] dw, float[] dx, int dOff, int blocks, int count, float[] cs) {
        int bound = F.loopBound(blocks);
        for (int t = 0; t < count; t++) {
            int c = t * blocks;
            int d = dOff + c;
            int b = 0;
            for (; b < bound; b += L) {
                FloatVector.fromArray(F, dw, b).mul(FloatVector.fromArray(F, dx, d + b)).intoArray(cs, c + b);
            }
            for (; b < blocks; b++) {
                cs[c + b] = dw[b] * dx[d + b];
            }
        }
    }

    /** Σ_b m_w·s_x of Q4_1/Q5_1 in block order: the minimum term the direct kernels add to a row's sum. */
    static float minTerm(float[] mw, float[] sx, int sOff, int blocks) {
        float min = 0;
        for (int b = 0; b < blocks; b++) {
            min += mw[b] * sx[sOff + b];
        }
        return min;
    }

    /**
     * Two staged rows against two tokens' activation quants (sequence mode), each of the four products with the
     * bits of the direct kernels without their minimum term: every weight and activation vector is loaded once
     * for two products. The rows are the slices {@code r0}, {@code r1}, the tokens' quants the slices {@code t0},
     * {@code t1} (see {@link FloatDots} on why slices). {@code cs0}/{@code cs1} hold each row's {@link #scales}, the
     * two tokens' at {@code [co, co + blocks)} and {@code [co + blocks, co + 2·blocks)}; results go to
     * {@code out[oR0T0]} (row 0, token 0), {@code out[oR0T1]}, {@code out[oR1T0]}, {@code out[oR1T1]}.
     */
    static void staged2x2(MemorySegment r0, MemorySegment r1, float[] cs0, float[] cs1, int co, int blocks,
                          MemorySegment t0, MemorySegment t1, float[] out, int oR0T0, int oR0T1, int oR1T0, int oR1T1) {
        int c0 = co;
        int c1 = co + blocks;
        FloatVector older00 = FloatVector.zero(F);
        FloatVector newer00 = older00;
        FloatVector older01 = older00;
        FloatVector newer01 = older00;
        FloatVector older10 = older00;
        FloatVector newer10 = older00;
        FloatVector older11 = older00;
        FloatVector newer11 = older00;
        for (int b = 0; b < blocks; b++) {
            long e = 4L * QK * b;
            // The direct kernels' block sums: FMAs from zero over the block's L-lane vectors (exact integers).
            FloatVector p00 = FloatVector.zero(F);
            FloatVector p01 = p00;
            FloatVector p10 = p00;
            FloatVector p11 = p00;
            for (int j = 0; j < QK; j += L) {
                FloatVector xv0 = IntVector.fromMemorySegment(I, t0, e + 4L * j, NATIVE).reinterpretAsFloats();
                FloatVector xv1 = IntVector.fromMemorySegment(I, t1, e + 4L * j, NATIVE).reinterpretAsFloats();
                FloatVector wv0 = IntVector.fromMemorySegment(I, r0, e + 4L * j, NATIVE).reinterpretAsFloats();
                FloatVector wv1 = IntVector.fromMemorySegment(I, r1, e + 4L * j, NATIVE).reinterpretAsFloats();
                p00 = wv0.fma(xv0, p00);
                p01 = wv0.fma(xv1, p01);
                p10 = wv1.fma(xv0, p10);
                p11 = wv1.fma(xv1, p11);
            }
            FloatVector next00 = p00.fma(FloatVector.broadcast(F, cs0[c0 + b]), older00);
            FloatVector next01 = p01.fma(FloatVector.broadcast(F, cs0[c1 + b]), older01);
            FloatVector next10 = p10.fma(FloatVector.broadcast(F, cs1[c0 + b]), older10);
            FloatVector next11 = p11.fma(FloatVector.broadcast(F, cs1[c1 + b]), older11);
            older00 = newer00;
            newer00 = next00;
            older01 = newer01;
            newer01 = next01;
            older10 = newer10;
            newer10 = next10;
            older11 = newer11;
            newer11 = next11;
        }
        FloatVector s = older00.add(newer00);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[oR0T0] = s.lane(0);
        s = older01.add(newer01);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[oR0T1] = s.lane(0);
        s = older10.add(newer10);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[oR1T0] = s.lane(0);
        s = older11.add(newer11);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        out[oR1T1] = s.lane(0);
    }

    /**
     * A staged row (the slice {@code wr}) times one token's activation quants (the slice {@code xr}), with the
     * token's {@link #scales} at {@code cs[co..]}; the bits of the direct kernels without their minimum term.
     */
    static float staged(MemorySegment wr, float[] cs, int co, int blocks, MemorySegment xr) {
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        for (int b = 0; b < blocks; b++) {
            long e = 4L * QK * b;
            FloatVector p = FloatVector.zero(F);
            for (int j = 0; j < QK; j += L) {
                p = IntVector.fromMemorySegment(I, wr, e + 4L * j, NATIVE).reinterpretAsFloats()
                        .fma(IntVector.fromMemorySegment(I, xr, e + 4L * j, NATIVE).reinterpretAsFloats(), p);
            }
            FloatVector next = p.fma(FloatVector.broadcast(F, cs[co + b]), older);
            older = newer;
            newer = next;
        }
        FloatVector s = older.add(newer);
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        return s.lane(0);
    }
}
