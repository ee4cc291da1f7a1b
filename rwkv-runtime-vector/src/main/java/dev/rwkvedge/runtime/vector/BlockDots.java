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
 * The weight quants are unpacked to int lanes (bytes sign-extended; nibbles masked and shifted; Q5's fifth bit taken
 * from {@code qh} with a per-lane shift), converted to float and multiplied with the activation quants, which the
 * quantizer stores as floats. Every product and every partial sum inside a block is an integer below 2^24
 * (|q_w| ≤ 128, |q_x| ≤ 127, 32 terms), so this float arithmetic is exact: it <em>is</em> the integer sum
 * Σ q_w·q_x, just held in L float lanes. (Float multiply-add is one cheap instruction; the Vector API has no
 * int8 dot-product instruction such as VNNI's vpdpbusd, and 32-bit integer multiply costs two.) The block's lanes
 * are then scaled with one FMA per block into one of two accumulators (blocks alternate between two independent
 * chains, so consecutive FMAs do not wait for each other), and the lanes are summed once per row. This is the shape
 * of ggml's AVX kernels ({@code ggml_vec_dot_q8_0_q8_0}: {@code acc = fmadd(d, sumi, acc)}) and of llama3.java's
 * Q8_0 dot product (a lane-wise block sum, then one FMA with the broadcast block scale). The minimum term of
 * Q4_1/Q5_1 is a separate scalar sum in block order.
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
 * Single tokens read the row straight from the weights ({@link #q8_0}, {@link #q4}, {@link #q5}; Q8_0 rows in pairs,
 * {@link #q8_0x2}, which loads each activation vector once for two rows, as {@link FloatDots} does); sequence mode
 * unpacks a row once ({@link #stage}) and runs {@link #staged} for every token of the chunk. Both produce the same
 * exact block values and apply the same scale FMAs in the same order, so they give the same bits. Each kernel is
 * one flat method (see {@link VectorShapes} on why vector helpers are avoided).
 */
final class BlockDots {
    static final int QK = 32;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Lane shift counts for Q5's fifth bits: element e takes bit e of qh. */
    private static final int[] BIT_INDEX = new int[QK];

    static {
        for (int i = 0; i < BIT_INDEX.length; i++) {
            BIT_INDEX[i] = i;
        }
    }

    private BlockDots() {
    }

    /**
     * One Q8_0 row of {@code blocks} blocks at byte {@code base}, times activation quants {@code xq[xo..]} with
     * block scales {@code dx[dOff..]}.
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
            float d = Float.float16ToFloat(seg.get(F16, off)) * dx[dOff + b];
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
            FloatVector next0 = p0.fma(FloatVector.broadcast(F, Float.float16ToFloat(seg.get(F16, off0)) * dxb), older0);
            FloatVector next1 = p1.fma(FloatVector.broadcast(F, Float.float16ToFloat(seg.get(F16, off1)) * dxb), older1);
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
     * One Q4_0 ({@code withMin} false: q = nibble − 8) or Q4_1 ({@code withMin} true: q = nibble, plus the
     * minimum term m_w·s_x) row.
     */
    static float q4(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xq, int xo, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 20 : 18;
        int qs = withMin ? 4 : 2;
        int bias = withMin ? 0 : 8;
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        float min = 0;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) bb * b;
            int xb = xo + b * QK;
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + qs + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, I, 0);
                FloatVector lo = (FloatVector) v.and(0x0F).sub(bias).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias)
                        .convert(VectorOperators.I2F, 0);
                p = lo.fma(FloatVector.fromArray(F, xq, xb + k), p);
                p = hi.fma(FloatVector.fromArray(F, xq, xb + 16 + k), p);
            }
            float d = Float.float16ToFloat(seg.get(F16, off)) * dx[dOff + b];
            FloatVector next = p.fma(FloatVector.broadcast(F, d), older);
            older = newer;
            newer = next;
            if (withMin) {
                min += Float.float16ToFloat(seg.get(F16, off + 2)) * sx[dOff + b];
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

    /** One Q5_0 ({@code withMin} false: q − 16) or Q5_1 ({@code withMin} true) row. */
    static float q5(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xq, int xo, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 24 : 22;
        int qhAt = withMin ? 4 : 2;
        int bias = withMin ? 0 : 16;
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        float min = 0;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) bb * b;
            int xb = xo + b * QK;
            IntVector qh = IntVector.broadcast(I, seg.get(U32, off + qhAt));
            FloatVector p = FloatVector.zero(F);
            for (int k = 0; k < 16; k += L) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + qhAt + 4 + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, I, 0);
                // bit (k + lane) of qh → bit 4 of the low element, bit (k + 16 + lane) → bit 4 of the high one
                IntVector h0 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BIT_INDEX, k))
                        .lanewise(VectorOperators.LSHL, 4).and(0x10);
                IntVector h1 = qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BIT_INDEX, k + 16))
                        .lanewise(VectorOperators.LSHL, 4).and(0x10);
                FloatVector lo = (FloatVector) v.and(0x0F).or(h0).sub(bias).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(h1).sub(bias)
                        .convert(VectorOperators.I2F, 0);
                p = lo.fma(FloatVector.fromArray(F, xq, xb + k), p);
                p = hi.fma(FloatVector.fromArray(F, xq, xb + 16 + k), p);
            }
            float d = Float.float16ToFloat(seg.get(F16, off)) * dx[dOff + b];
            FloatVector next = p.fma(FloatVector.broadcast(F, d), older);
            older = newer;
            newer = next;
            if (withMin) {
                min += Float.float16ToFloat(seg.get(F16, off + 2)) * sx[dOff + b];
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

    /**
     * Unpacks one row for sequence mode: quants as floats in element order into {@code wq[0..32·blocks)}, scales
     * into {@code dw}, and for Q4_1/Q5_1 minimums into {@code mw} (the single-token kernels' unpacking, stored).
     */
    static void stage(DType type, MemorySegment seg, long base, int blocks, float[] wq, float[] dw, float[] mw) {
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
                                .convertShape(VectorOperators.B2F, F, 0)).intoArray(wq, e0 + j);
                    }
                }
                case Q4_0, Q4_1 -> {
                    for (int k = 0; k < 16; k += L) {
                        IntVector v = (IntVector) ByteVector.fromMemorySegment(B, seg, off + header + k, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2I, I, 0);
                        ((FloatVector) v.and(0x0F).sub(bias).convert(VectorOperators.I2F, 0)).intoArray(wq, e0 + k);
                        ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias).convert(VectorOperators.I2F, 0))
                                .intoArray(wq, e0 + 16 + k);
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
                        ((FloatVector) v.and(0x0F).or(h0).sub(bias).convert(VectorOperators.I2F, 0)).intoArray(wq, e0 + k);
                        ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(h1).sub(bias).convert(VectorOperators.I2F, 0))
                                .intoArray(wq, e0 + 16 + k);
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
     * for two products. {@code cs0}/{@code cs1} hold each row's {@link #scales} for the two tokens (token 0 at
     * {@code [0, blocks)}, token 1 at {@code [blocks, 2·blocks)}); results go to {@code out[oR0T0]} (row 0, token 0),
     * {@code out[oR0T1]}, {@code out[oR1T0]}, {@code out[oR1T1]}.
     */
    static void staged2x2(float[] wq0, float[] wq1, float[] cs0, float[] cs1, int blocks, float[] xq, int xo0, int xo1,
                          float[] out, int oR0T0, int oR0T1, int oR1T0, int oR1T1) {
        FloatVector older00 = FloatVector.zero(F);
        FloatVector newer00 = older00;
        FloatVector older01 = older00;
        FloatVector newer01 = older00;
        FloatVector older10 = older00;
        FloatVector newer10 = older00;
        FloatVector older11 = older00;
        FloatVector newer11 = older00;
        for (int b = 0; b < blocks; b++) {
            int e = b * QK;
            // The direct kernels' block sums: FMAs from zero over the block's L-lane vectors (exact integers).
            FloatVector p00 = FloatVector.zero(F);
            FloatVector p01 = p00;
            FloatVector p10 = p00;
            FloatVector p11 = p00;
            for (int j = 0; j < QK; j += L) {
                FloatVector x0 = FloatVector.fromArray(F, xq, xo0 + e + j);
                FloatVector x1 = FloatVector.fromArray(F, xq, xo1 + e + j);
                FloatVector w0 = FloatVector.fromArray(F, wq0, e + j);
                FloatVector w1 = FloatVector.fromArray(F, wq1, e + j);
                p00 = w0.fma(x0, p00);
                p01 = w0.fma(x1, p01);
                p10 = w1.fma(x0, p10);
                p11 = w1.fma(x1, p11);
            }
            FloatVector next00 = p00.fma(FloatVector.broadcast(F, cs0[b]), older00);
            FloatVector next01 = p01.fma(FloatVector.broadcast(F, cs0[blocks + b]), older01);
            FloatVector next10 = p10.fma(FloatVector.broadcast(F, cs1[b]), older10);
            FloatVector next11 = p11.fma(FloatVector.broadcast(F, cs1[blocks + b]), older11);
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
     * A staged row times one token's activation quants, with the token's {@link #scales} at {@code cs[co..]}; the
     * bits of the direct kernels without their minimum term.
     */
    static float staged(float[] wq, float[] cs, int co, int blocks, float[] xq, int xo) {
        FloatVector older = FloatVector.zero(F);
        FloatVector newer = older;
        for (int b = 0; b < blocks; b++) {
            int e = b * QK;
            FloatVector p = FloatVector.zero(F);
            for (int j = 0; j < QK; j += L) {
                p = FloatVector.fromArray(F, wq, e + j).fma(FloatVector.fromArray(F, xq, xo + e + j), p);
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
