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
     * Quantizes 32 floats into one block with ggml's reference quantizers (RWKV-MATH.md §4.1; "trunc" is the C
     * cast toward zero, Q8_0 rounds half away from zero). Writes {@code type.blockBytes()} bytes at {@code out[off]}.
     */
    public static void quantizeBlock(DType type, float[] x, int xOff, byte[] out, int off) {
        switch (type) {
            case Q4_0, Q5_0 -> {
                int levels = type == DType.Q4_0 ? 8 : 16;
                float amax = 0;
                float max = 0;
                for (int j = 0; j < QK; j++) {
                    float v = x[xOff + j];
                    if (Math.abs(v) > amax) {
                        amax = Math.abs(v);
                        max = v;
                    }
                }
                float d = max / -levels;
                float id = d != 0 ? 1.0f / d : 0.0f;
                putF16(out, off, d);
                int[] q = new int[QK];
                for (int j = 0; j < QK; j++) {
                    q[j] = Math.min(2 * levels - 1, (int) (x[xOff + j] * id + (levels + 0.5f)));
                }
                packNibbles(type, q, out, off);
            }
            case Q4_1, Q5_1 -> {
                int top = type == DType.Q4_1 ? 15 : 31;
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < QK; j++) {
                    min = Math.min(min, x[xOff + j]);
                    max = Math.max(max, x[xOff + j]);
                }
                float d = (max - min) / top;
                float id = d != 0 ? 1.0f / d : 0.0f;
                putF16(out, off, d);
                putF16(out, off + 2, min);
                int[] q = new int[QK];
                for (int j = 0; j < QK; j++) {
                    q[j] = Math.min(top, (int) ((x[xOff + j] - min) * id + 0.5f));
                }
                packNibbles(type, q, out, off);
            }
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

    private static void packNibbles(DType type, int[] q, byte[] out, int off) {
        int qsOff = switch (type) {
            case Q4_0 -> 2;
            case Q4_1 -> 4;
            case Q5_0 -> 6;
            case Q5_1 -> 8;
            default -> throw new IllegalArgumentException(type.toString());
        };
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = q[j];
            int hi = q[j + 16];
            out[off + qsOff + j] = (byte) ((lo & 0x0F) | ((hi & 0x0F) << 4));
            qh |= ((lo >>> 4) & 1) << j;
            qh |= ((hi >>> 4) & 1) << (j + 16);
        }
        if (type == DType.Q5_0 || type == DType.Q5_1) {
            int h = qsOff - 4;
            out[off + h] = (byte) qh;
            out[off + h + 1] = (byte) (qh >>> 8);
            out[off + h + 2] = (byte) (qh >>> 16);
            out[off + h + 3] = (byte) (qh >>> 24);
        }
    }

    private static void putF16(byte[] out, int off, float v) {
        short h = Half.floatToF16(v);
        out[off] = (byte) h;
        out[off + 1] = (byte) (h >>> 8);
    }
}
