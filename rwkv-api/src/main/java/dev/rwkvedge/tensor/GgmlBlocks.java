package dev.rwkvedge.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reference (de)quantization of ggml's 32-element blocks, exactly as ggml lays them out
 * ({@code ggml-common.h}, {@code ggml-quants.c}); see RWKV-MATH.md §4.1.
 *
 * <pre>
 * Q4_0  | d:f16 | qs[16]                 |  x_j = (q_j - 8)·d
 * Q4_1  | d:f16 | m:f16 | qs[16]         |  x_j = q_j·d + m
 * Q5_0  | d:f16 | qh:u32 | qs[16]        |  q_j = nibble_j | bit_j(qh) << 4,  x_j = (q_j - 16)·d
 * Q5_1  | d:f16 | m:f16 | qh:u32 | qs[16]|  x_j = q_j·d + m
 * Q8_0  | d:f16 | qs: int8[32]           |  x_j = q_j·d
 *
 * qs[i] (nibble types):  bits 7..4 = element i+16, bits 3..0 = element i   (halves are not interleaved)
 * qh (Q5 types, u32 little-endian):  bit j = bit 4 of element j's code, j = 0..31
 *
 *   element:   0  1 ... 15 | 16 17 ... 31
 *   low 4 bits qs[0..15] lo | qs[0..15] hi
 *   bit 4      qh bit 0..15 | qh bit 16..31
 * </pre>
 *
 * <p>These are the numerical reference; the vector backend has its own fast kernels tested against them.
 */
public final class GgmlBlocks {
    public static final int QK = 32;

    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlBlocks() {
    }

    /** Dequantizes the block starting at byte {@code off} of {@code seg} into {@code out[outOff .. outOff+32)}. */
    public static void dequantizeBlock(DType type, MemorySegment seg, long off, float[] out, int outOff) {
        switch (type) {
            case Q4_0 -> {
                float d = Half.f16ToFloat(seg.get(F16, off));
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + 2 + j) & 0xFF;
                    out[outOff + j] = ((b & 0x0F) - 8) * d;
                    out[outOff + j + 16] = ((b >>> 4) - 8) * d;
                }
            }
            case Q4_1 -> {
                float d = Half.f16ToFloat(seg.get(F16, off));
                float m = Half.f16ToFloat(seg.get(F16, off + 2));
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + 4 + j) & 0xFF;
                    out[outOff + j] = (b & 0x0F) * d + m;
                    out[outOff + j + 16] = (b >>> 4) * d + m;
                }
            }
            case Q5_0 -> {
                float d = Half.f16ToFloat(seg.get(F16, off));
                int qh = seg.get(U32, off + 2);
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + 6 + j) & 0xFF;
                    int lo = (b & 0x0F) | (((qh >>> j) & 1) << 4);
                    int hi = (b >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                    out[outOff + j] = (lo - 16) * d;
                    out[outOff + j + 16] = (hi - 16) * d;
                }
            }
            case Q5_1 -> {
                float d = Half.f16ToFloat(seg.get(F16, off));
                float m = Half.f16ToFloat(seg.get(F16, off + 2));
                int qh = seg.get(U32, off + 4);
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + 8 + j) & 0xFF;
                    int lo = (b & 0x0F) | (((qh >>> j) & 1) << 4);
                    int hi = (b >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
                    out[outOff + j] = lo * d + m;
                    out[outOff + j + 16] = hi * d + m;
                }
            }
            case Q8_0 -> {
                float d = Half.f16ToFloat(seg.get(F16, off));
                for (int j = 0; j < QK; j++) {
                    out[outOff + j] = seg.get(ValueLayout.JAVA_BYTE, off + 2 + j) * d;
                }
            }
            default -> throw new IllegalArgumentException(type + " is not a block type");
        }
    }

    /**
     * Reads the 32 integer quants of a block (before scale and offset) into {@code q}; for Q4_0/Q5_0 they are
     * already centred (−8 / −16), for Q4_1/Q5_1 they are the unsigned codes.
     */
    public static void blockQuants(DType type, MemorySegment seg, long off, int[] q) {
        switch (type) {
            case Q4_0, Q4_1 -> {
                int qs = type == DType.Q4_0 ? 2 : 4;
                int bias = type == DType.Q4_0 ? 8 : 0;
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + qs + j) & 0xFF;
                    q[j] = (b & 0x0F) - bias;
                    q[j + 16] = (b >>> 4) - bias;
                }
            }
            case Q5_0, Q5_1 -> {
                int hOff = type == DType.Q5_0 ? 2 : 4;
                int bias = type == DType.Q5_0 ? 16 : 0;
                int qh = seg.get(U32, off + hOff);
                for (int j = 0; j < 16; j++) {
                    int b = seg.get(ValueLayout.JAVA_BYTE, off + hOff + 4 + j) & 0xFF;
                    q[j] = ((b & 0x0F) | (((qh >>> j) & 1) << 4)) - bias;
                    q[j + 16] = ((b >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - bias;
                }
            }
            case Q8_0 -> {
                for (int j = 0; j < QK; j++) {
                    q[j] = seg.get(ValueLayout.JAVA_BYTE, off + 2 + j);
                }
            }
            default -> throw new IllegalArgumentException(type + " is not a block type");
        }
    }

    /** Block scale d. */
    public static float blockScale(MemorySegment seg, long off) {
        return Half.f16ToFloat(seg.get(F16, off));
    }

    /** Block minimum m of Q4_1/Q5_1. */
    public static float blockMin(MemorySegment seg, long off) {
        return Half.f16ToFloat(seg.get(F16, off + 2));
    }

    /**
     * Quantizes 32 floats into one block with ggml's reference quantizers ({@code quantize_row_q4_0_ref},
     * {@code _q4_1_ref}, {@code _q5_0_ref}, {@code _q5_1_ref}, {@code _q8_0_ref} in {@code ggml-quants.c}; RWKV-MATH.md
     * §4.1), the ones rwkv.cpp's {@code rwkv_quantize_model_file} reaches through {@code ggml_quantize_chunk} without
     * an importance matrix. Writes {@code type.blockBytes()} bytes at {@code out[off]}; the values must be finite.
     *
     * <p>Bit for bit as ggml's C source evaluates them: each operation in float32, the product {@code x·id} rounded
     * before the offset is added ({@code 8.5f}, {@code 16.5f}, {@code 0.5f}), then the C cast toward zero; minimum and
     * maximum with ggml's strict comparisons (so of 0 and −0 the first seen wins); d and m rounded to binary16 to
     * nearest even ({@code GGML_FP32_TO_FP16}). A build whose compiler fuses {@code x·id + 16.5f} into one FMA (GCC's
     * default {@code -ffp-contract=fast} on an FMA target) rounds once instead and differs where x·id lies within an
     * ulp of a half step; the rwkv.cpp fixtures contain files from both kinds of build (README, quantize section).
     */
    public static void quantizeBlock(DType type, float[] x, int xOff, byte[] out, int off) {
        switch (type) {
            case Q4_0 -> quantizeSymmetric(x, xOff, out, off, 8, 2, false);
            case Q5_0 -> quantizeSymmetric(x, xOff, out, off, 16, 6, true);
            case Q4_1 -> quantizeWithMin(x, xOff, out, off, 15, 4, false);
            case Q5_1 -> quantizeWithMin(x, xOff, out, off, 31, 8, true);
            case Q8_0 -> {
                float amax = 0;
                for (int j = 0; j < QK; j++) {
                    amax = Math.max(amax, Math.abs(x[xOff + j]));
                }
                float d = amax / 127;
                float id = d != 0 ? 1.0f / d : 0.0f;
                putF16(out, off, d);
                for (int j = 0; j < QK; j++) {
                    float v = x[xOff + j] * id;
                    out[off + 2 + j] = (byte) (v < 0 ? -Math.round(-v) : Math.round(v)); // roundf: ties away from zero
                }
            }
            default -> throw new IllegalArgumentException(type + " is not a block type");
        }
    }

    /**
     * Q4_0 ({@code half} 8) and Q5_0 ({@code half} 16). The scale comes from the element of largest magnitude with
     * its sign, {@code d = max / −half}, so that element maps to code 0 exactly and the other side of zero reaches
     * {@code +half} only through the clamp to {@code 2·half − 1}. Codes are stored offset by {@code half}.
     */
    private static void quantizeSymmetric(float[] x, int xOff, byte[] out, int off, int half, int qsOff,
                                          boolean fifthBit) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < QK; j++) {
            float v = x[xOff + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -half;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(out, off, d);
        float offset = half + 0.5f;
        int top = 2 * half - 1;
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            float x0 = x[xOff + j] * id;
            float x1 = x[xOff + QK / 2 + j] * id;
            int q0 = Math.min(top, (int) (x0 + offset));
            int q1 = Math.min(top, (int) (x1 + offset));
            out[off + qsOff + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 >>> 4) & 1) << j;
            qh |= ((q1 >>> 4) & 1) << (j + QK / 2);
        }
        if (fifthBit) {
            putU32(out, off + 2, qh);
        }
    }

    /**
     * Q4_1 ({@code top} 15) and Q5_1 ({@code top} 31): {@code d = (max − min) / top}, {@code m = min}, codes
     * {@code trunc((x − min)·(1/d) + 0.5)}. ggml clamps the Q4_1 codes to 15 but not the Q5_1 ones; the clamp never
     * acts for either ({@code (max − min)·(1/d)} is {@code top} within a few ulps), so one rule serves both.
     */
    private static void quantizeWithMin(float[] x, int xOff, byte[] out, int off, int top, int qsOff,
                                        boolean fifthBit) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[xOff + j];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / top;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putF16(out, off, d);
        putF16(out, off + 2, min);
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            float x0 = (x[xOff + j] - min) * id;
            float x1 = (x[xOff + QK / 2 + j] - min) * id;
            int q0 = Math.min(top, (int) (x0 + 0.5f));
            int q1 = Math.min(top, (int) (x1 + 0.5f));
            out[off + qsOff + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 >>> 4) & 1) << j;
            qh |= ((q1 >>> 4) & 1) << (j + QK / 2);
        }
        if (fifthBit) {
            putU32(out, off + 4, qh);
        }
    }

    private static void putU32(byte[] out, int off, int v) {
        out[off] = (byte) v;
        out[off + 1] = (byte) (v >>> 8);
        out[off + 2] = (byte) (v >>> 16);
        out[off + 3] = (byte) (v >>> 24);
    }

    private static void putF16(byte[] out, int off, float v) {
        short h = Half.floatToF16(v);
        out[off] = (byte) h;
        out[off + 1] = (byte) (h >>> 8);
    }
}
