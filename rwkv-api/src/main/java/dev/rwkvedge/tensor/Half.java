package dev.rwkvedge.tensor;

/**
 * IEEE binary16 and bfloat16 conversions.
 *
 * <p>binary16 uses the JDK's {@link Float#float16ToFloat(short)} and {@link Float#floatToFloat16(float)}
 * (round to nearest even, as x86 F16C does). bfloat16 is the upper half of a binary32.
 */
public final class Half {
    private Half() {
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float v) {
        return Float.floatToFloat16(v);
    }

    /** Rounds a float to the nearest binary16 value and back, as ggml does with activations before an F16 dot product. */
    public static float roundToF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bfloat16, round to nearest even (as torch {@code .to(torch.bfloat16)}); NaN stays NaN. */
    public static short floatToBf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((b >>> 16) & 1);
        return (short) ((b + rounding) >>> 16);
    }
}
