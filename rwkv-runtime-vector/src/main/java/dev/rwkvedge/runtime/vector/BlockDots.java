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
import static dev.rwkvedge.runtime.vector.VectorShapes.B_PARTS;
import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.I;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

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
 * are then scaled with one FMA per block into one of two accumulators (even and odd blocks, two independent
 * chains), like ggml's AVX kernels ({@code ggml_vec_dot_q8_0_q8_0}: {@code acc = fmadd(d, sumi, acc)}), and the
 * lanes are summed once per row. The minimum term of Q4_1/Q5_1 is a separate scalar sum in block order.
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
 * Single tokens read the row straight from the weights ({@link #q8_0}, {@link #q4}, {@link #q5}); sequence mode
 * unpacks a row once ({@link #stage}) and runs {@link #staged} for every token of the chunk. Both produce the same
 * exact block values and apply the same scale FMAs in the same order, so they give the same bits.
 */
final class BlockDots {
    static final int QK = 32;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Lane shift counts for Q5's high bits: element e takes bit e of qh. */
    private static final int[] BIT_INDEX = new int[QK + 16];

    static {
        for (int i = 0; i < BIT_INDEX.length; i++) {
            BIT_INDEX[i] = i;
        }
    }

    private BlockDots() {
    }

    private static float scale(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(F16, off));
    }

    private static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    private static FloatVector x(float[] xq, int at) {
        return FloatVector.fromArray(F, xq, at);
    }

    // ---- Q8_0 -------------------------------------------------------------------------------------------------

    /** Exact Σ q_w·q_x of one Q8_0 block (at {@code off}) in L lanes. */
    private static FloatVector q8Block(MemorySegment seg, long off, float[] xq, int xb) {
        FloatVector p = FloatVector.zero(F);
        for (int j = 0; j < QK; j += B.length()) {
            ByteVector bytes = ByteVector.fromMemorySegment(B, seg, off + 2 + j, ByteOrder.LITTLE_ENDIAN);
            p = toFloat(VectorShapes.widen(bytes, 0)).fma(x(xq, xb + j), p);
            if (B_PARTS == 2) {
                p = toFloat(VectorShapes.widen(bytes, 1)).fma(x(xq, xb + j + L), p);
            }
        }
        return p;
    }

    /** One Q8_0 row of {@code blocks} blocks at {@code base} with activation quants {@code xq[xo..]}, scales {@code dx[dOff..]}. */
    static float q8_0(MemorySegment seg, long base, int blocks, float[] xq, int xo, float[] dx, int dOff) {
        final int bb = 34;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o0 = base + (long) b * bb;
            long o1 = o0 + bb;
            acc0 = q8Block(seg, o0, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
            acc1 = q8Block(seg, o1, xq, xo + (b + 1) * QK).fma(FloatVector.broadcast(F, scale(seg, o1) * dx[dOff + b + 1]), acc1);
        }
        if (b < blocks) {
            long o0 = base + (long) b * bb;
            acc0 = q8Block(seg, o0, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
        }
        return VectorShapes.sum(acc0.add(acc1));
    }

    // ---- Q4_0 / Q4_1 ------------------------------------------------------------------------------------------

    /** Elements k.. (low nibbles) and k+16.. (high nibbles) of one nibble group, times the activation quants. */
    private static FloatVector nibbles(IntVector v, int bias, float[] xq, int at, FloatVector p) {
        FloatVector lo = toFloat(v.and(0x0F).sub(bias));
        FloatVector hi = toFloat(v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias));
        p = lo.fma(x(xq, at), p);
        return hi.fma(x(xq, at + 16), p);
    }

    private static FloatVector q4Block(MemorySegment seg, long qs, int bias, float[] xq, int xb) {
        FloatVector p = FloatVector.zero(F);
        for (int k = 0; k < 16; k += B.length()) {
            ByteVector bytes = ByteVector.fromMemorySegment(B, seg, qs + k, ByteOrder.LITTLE_ENDIAN);
            p = nibbles(VectorShapes.widen(bytes, 0), bias, xq, xb + k, p);
            if (B_PARTS == 2) {
                p = nibbles(VectorShapes.widen(bytes, 1), bias, xq, xb + k + L, p);
            }
        }
        return p;
    }

    /**
     * One Q4_0 ({@code withMin} false: q − 8) or Q4_1 ({@code withMin} true: unsigned q, plus m_w·s_x) row.
     */
    static float q4(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xq, int xo, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 20 : 18;
        int qs = withMin ? 4 : 2;
        int bias = withMin ? 0 : 8;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        float min = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o0 = base + (long) b * bb;
            long o1 = o0 + bb;
            acc0 = q4Block(seg, o0 + qs, bias, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
            acc1 = q4Block(seg, o1 + qs, bias, xq, xo + (b + 1) * QK).fma(FloatVector.broadcast(F, scale(seg, o1) * dx[dOff + b + 1]), acc1);
            if (withMin) {
                min += scale(seg, o0 + 2) * sx[dOff + b];
                min += scale(seg, o1 + 2) * sx[dOff + b + 1];
            }
        }
        if (b < blocks) {
            long o0 = base + (long) b * bb;
            acc0 = q4Block(seg, o0 + qs, bias, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
            if (withMin) {
                min += scale(seg, o0 + 2) * sx[dOff + b];
            }
        }
        float sum = VectorShapes.sum(acc0.add(acc1));
        return withMin ? sum + min : sum;
    }

    // ---- Q5_0 / Q5_1 ------------------------------------------------------------------------------------------

    /** Bit e+lane of qh moved to bit 4, for the L elements starting at e. */
    private static IntVector fifthBit(IntVector qh, int e) {
        return qh.lanewise(VectorOperators.LSHR, IntVector.fromArray(I, BIT_INDEX, e))
                .lanewise(VectorOperators.LSHL, 4).and(0x10);
    }

    private static FloatVector fiveBits(IntVector v, IntVector qh, int k, int bias, float[] xq, int at, FloatVector p) {
        FloatVector lo = toFloat(v.and(0x0F).or(fifthBit(qh, k)).sub(bias));
        FloatVector hi = toFloat(v.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(fifthBit(qh, k + 16)).sub(bias));
        p = lo.fma(x(xq, at), p);
        return hi.fma(x(xq, at + 16), p);
    }

    private static FloatVector q5Block(MemorySegment seg, long qhOff, int bias, float[] xq, int xb) {
        IntVector qh = IntVector.broadcast(I, seg.get(U32, qhOff));
        long qs = qhOff + 4;
        FloatVector p = FloatVector.zero(F);
        for (int k = 0; k < 16; k += B.length()) {
            ByteVector bytes = ByteVector.fromMemorySegment(B, seg, qs + k, ByteOrder.LITTLE_ENDIAN);
            p = fiveBits(VectorShapes.widen(bytes, 0), qh, k, bias, xq, xb + k, p);
            if (B_PARTS == 2) {
                p = fiveBits(VectorShapes.widen(bytes, 1), qh, k + L, bias, xq, xb + k + L, p);
            }
        }
        return p;
    }

    /** One Q5_0 ({@code withMin} false: q − 16) or Q5_1 ({@code withMin} true) row. */
    static float q5(MemorySegment seg, long base, int blocks, boolean withMin,
                    float[] xq, int xo, float[] dx, float[] sx, int dOff) {
        int bb = withMin ? 24 : 22;
        int qh = withMin ? 4 : 2;
        int bias = withMin ? 0 : 16;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        float min = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o0 = base + (long) b * bb;
            long o1 = o0 + bb;
            acc0 = q5Block(seg, o0 + qh, bias, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
            acc1 = q5Block(seg, o1 + qh, bias, xq, xo + (b + 1) * QK).fma(FloatVector.broadcast(F, scale(seg, o1) * dx[dOff + b + 1]), acc1);
            if (withMin) {
                min += scale(seg, o0 + 2) * sx[dOff + b];
                min += scale(seg, o1 + 2) * sx[dOff + b + 1];
            }
        }
        if (b < blocks) {
            long o0 = base + (long) b * bb;
            acc0 = q5Block(seg, o0 + qh, bias, xq, xo + b * QK).fma(FloatVector.broadcast(F, scale(seg, o0) * dx[dOff + b]), acc0);
            if (withMin) {
                min += scale(seg, o0 + 2) * sx[dOff + b];
            }
        }
        float sum = VectorShapes.sum(acc0.add(acc1));
        return withMin ? sum + min : sum;
    }

    // ---- sequence mode ----------------------------------------------------------------------------------------

    /**
     * Unpacks one row: its quants as floats in element order into {@code wq[0..32·blocks)}, scales into
     * {@code dw}, and for Q4_1/Q5_1 minimums into {@code mw}. Uses the same unpacking as the single-token kernels.
     */
    static void stage(DType type, MemorySegment seg, long base, int blocks, float[] wq, float[] dw, float[] mw) {
        int bb = type.blockBytes();
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * bb;
            int e0 = b * QK;
            dw[b] = scale(seg, off);
            switch (type) {
                case Q8_0 -> {
                    for (int j = 0; j < QK; j += B.length()) {
                        ByteVector bytes = ByteVector.fromMemorySegment(B, seg, off + 2 + j, ByteOrder.LITTLE_ENDIAN);
                        toFloat(VectorShapes.widen(bytes, 0)).intoArray(wq, e0 + j);
                        if (B_PARTS == 2) {
                            toFloat(VectorShapes.widen(bytes, 1)).intoArray(wq, e0 + j + L);
                        }
                    }
                }
                case Q4_0, Q4_1 -> {
                    boolean withMin = type == DType.Q4_1;
                    int bias = withMin ? 0 : 8;
                    if (withMin) {
                        mw[b] = scale(seg, off + 2);
                    }
                    long qs = off + (withMin ? 4 : 2);
                    for (int k = 0; k < 16; k += B.length()) {
                        ByteVector bytes = ByteVector.fromMemorySegment(B, seg, qs + k, ByteOrder.LITTLE_ENDIAN);
                        for (int part = 0; part < B_PARTS; part++) {
                            IntVector v = VectorShapes.widen(bytes, part);
                            int e = e0 + k + part * L;
                            toFloat(v.and(0x0F).sub(bias)).intoArray(wq, e);
                            toFloat(v.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(bias)).intoArray(wq, e + 16);
                        }
                    }
                }
                case Q5_0, Q5_1 -> {
                    boolean withMin = type == DType.Q5_1;
                    int bias = withMin ? 0 : 16;
                    if (withMin) {
                        mw[b] = scale(seg, off + 2);
                    }
                    long qhOff = off + (withMin ? 4 : 2);
                    IntVector qh = IntVector.broadcast(I, seg.get(U32, qhOff));
                    for (int k = 0; k < 16; k += B.length()) {
                        ByteVector bytes = ByteVector.fromMemorySegment(B, seg, qhOff + 4 + k, ByteOrder.LITTLE_ENDIAN);
                        for (int part = 0; part < B_PARTS; part++) {
                            IntVector v = VectorShapes.widen(bytes, part);
                            int kk = k + part * L;
                            toFloat(v.and(0x0F).or(fifthBit(qh, kk)).sub(bias)).intoArray(wq, e0 + kk);
                            toFloat(v.lanewise(VectorOperators.ASHR, 4).and(0x0F).or(fifthBit(qh, kk + 16)).sub(bias))
                                    .intoArray(wq, e0 + kk + 16);
                        }
                    }
                }
                default -> throw new IllegalArgumentException(type + " is not a block type");
            }
        }
    }

    private static FloatVector stagedBlock(float[] wq, float[] xq, int eb, int xb) {
        FloatVector p = FloatVector.zero(F);
        for (int j = 0; j < QK; j += L) {
            p = FloatVector.fromArray(F, wq, eb + j).fma(x(xq, xb + j), p);
        }
        return p;
    }

    /** A staged row (see {@link #stage}) times one token's activation quants; same bits as the direct kernels. */
    static float staged(float[] wq, float[] dw, float[] mw, boolean withMin, int blocks,
                        float[] xq, int xo, float[] dx, float[] sx, int dOff) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        float min = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            acc0 = stagedBlock(wq, xq, b * QK, xo + b * QK).fma(FloatVector.broadcast(F, dw[b] * dx[dOff + b]), acc0);
            acc1 = stagedBlock(wq, xq, (b + 1) * QK, xo + (b + 1) * QK).fma(FloatVector.broadcast(F, dw[b + 1] * dx[dOff + b + 1]), acc1);
            if (withMin) {
                min += mw[b] * sx[dOff + b];
                min += mw[b + 1] * sx[dOff + b + 1];
            }
        }
        if (b < blocks) {
            acc0 = stagedBlock(wq, xq, b * QK, xo + b * QK).fma(FloatVector.broadcast(F, dw[b] * dx[dOff + b]), acc0);
            if (withMin) {
                min += mw[b] * sx[dOff + b];
            }
        }
        float sum = VectorShapes.sum(acc0.add(acc1));
        return withMin ? sum + min : sum;
    }
}
