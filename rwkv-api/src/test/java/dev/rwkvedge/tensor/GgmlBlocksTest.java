package dev.rwkvedge.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ggml block layouts against blocks built by hand from RWKV-MATH.md §4.1. */
class GgmlBlocksTest {
    private static short f16(float v) {
        return Float.floatToFloat16(v);
    }

    @Test
    void q4_0DequantizedByHand() {
        // d = 0.5; element j (j < 16) = low nibble of qs[j], element j+16 = high nibble.
        byte[] b = new byte[18];
        b[0] = (byte) f16(0.5f);
        b[1] = (byte) (f16(0.5f) >> 8);
        b[2] = (byte) 0x3F; // element 0: 15 → (15−8)·0.5 = 3.5; element 16: 3 → −2.5
        b[3] = (byte) 0x80; // element 1: 0 → −4; element 17: 8 → 0
        float[] out = new float[32];
        GgmlBlocks.dequantizeBlock(DType.Q4_0, MemorySegment.ofArray(b), 0, out, 0);
        assertEquals(3.5f, out[0]);
        assertEquals(-2.5f, out[16]);
        assertEquals(-4f, out[1]);
        assertEquals(0f, out[17]);
        assertEquals(-4f, out[5]);
    }

    @Test
    void q5_1DequantizedByHand() {
        // d = 0.25, m = −1; qh bit j is the 5th bit of element j.
        byte[] b = new byte[24];
        b[0] = (byte) f16(0.25f);
        b[1] = (byte) (f16(0.25f) >> 8);
        b[2] = (byte) f16(-1f);
        b[3] = (byte) (f16(-1f) >> 8);
        int qh = (1 << 0) | (1 << 17);
        b[4] = (byte) qh;
        b[5] = (byte) (qh >> 8);
        b[6] = (byte) (qh >> 16);
        b[7] = (byte) (qh >> 24);
        b[8] = (byte) 0x21; // element 0: 1 | 16 = 17 → 17·0.25 − 1 = 3.25; element 16: 2 → −0.5
        b[9] = (byte) 0x0F; // element 1: 15 → 2.75; element 17: 0 | 16 = 16 → 3
        float[] out = new float[32];
        GgmlBlocks.dequantizeBlock(DType.Q5_1, MemorySegment.ofArray(b), 0, out, 0);
        assertEquals(3.25f, out[0]);
        assertEquals(-0.5f, out[16]);
        assertEquals(2.75f, out[1]);
        assertEquals(3f, out[17]);
        assertEquals(-1f, out[2]);
    }

    @Test
    void q8_0RoundsHalfAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f; // d = 1
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = -0.5f;
        byte[] b = new byte[34];
        GgmlBlocks.quantizeBlock(DType.Q8_0, x, 0, b, 0);
        assertEquals(127, b[2]);
        assertEquals(3, b[3]);
        assertEquals(-3, b[4]);
        assertEquals(-1, b[5]);
    }

    private static byte[] quantize(DType type, float[] x) {
        byte[] b = new byte[type.blockBytes()];
        GgmlBlocks.quantizeBlock(type, x, 0, b, 0);
        return b;
    }

    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    /**
     * Q4_0 by hand. The element of largest magnitude is x[17] = −8.00390625, so d = −8.00390625 / −8 = 1 + 2⁻¹¹,
     * exactly halfway between the binary16 values 1 (0x3C00) and 1 + 2⁻¹⁰ (0x3C01): to nearest even it is 0x3C00.
     * Codes are trunc(x/d + 8.5) with 1/d ≈ 0.99951: x[17] → 0; 0 → 8; 3 → 11.49 → 11; −2.6 → 5.90 → 5; 1.25 →
     * 9.75 → 9; −0.75 → 7.75 → 7; 4.4 → 12.90 → 12; and 8.0, on the other side of zero, 16.50 → 16, clamped to 15.
     * Byte j holds element j in its low nibble and element j+16 in its high nibble.
     */
    @Test
    void q4_0QuantizedByHand() {
        float[] x = new float[32];
        x[1] = 3f;
        x[2] = -2.6f;
        x[3] = 1.25f;
        x[16] = 8f;
        x[17] = -8.00390625f;
        x[18] = -0.75f;
        x[31] = 4.4f;
        assertArrayEquals(hex("003C F8 0B 75 89 8888888888888888888888 C8"), quantize(DType.Q4_0, x));
    }

    /**
     * Q4_0 and Q5_0 take the scale from the first element of largest magnitude, with its sign: {+2 at 3, −2 at 20}
     * gives d = 2/−8 = −0.25 (0xB400), {−2 at 3, +2 at 20} gives +0.25 (0x3400). Either way the first maps to code
     * 0 and the second (x/d = 8, 8.5 + 8 = 16.5) is clamped to 15, dequantizing to 1.75 in magnitude: one whole |d|
     * away, the largest error these types make.
     */
    @Test
    void scaleComesFromTheFirstLargestMagnitudeWithItsSign() {
        float[] x = new float[32];
        x[3] = 2f;
        x[20] = -2f;
        byte[] b = quantize(DType.Q4_0, x);
        assertArrayEquals(hex("00B4 888888 80 F8 8888888888888888888888"), b);
        float[] y = new float[32];
        GgmlBlocks.dequantizeBlock(DType.Q4_0, MemorySegment.ofArray(b), 0, y, 0);
        assertEquals(-1.75f, y[20]);
        x[3] = -2f;
        x[20] = 2f;
        assertArrayEquals(hex("0034 888888 80 F8 8888888888888888888888"), quantize(DType.Q4_0, x));
    }

    /**
     * Q4_1 by hand: min −1 (x[0]), max 2 (x[31]), d = 3/15 = 0.2 → binary16 0x3266 (0.19995), m = −1 → 0xBC00;
     * 1/d rounds to exactly 5 in float, so codes trunc((x + 1)·5 + 0.5): −1 → 0; 2 → 15; 0 → 5; 0.75 → 9; 1 → 10;
     * and the exact half steps round up: 1.5 → 12.5 → 13, −0.5 → 2.5 → 3.
     */
    @Test
    void q4_1QuantizedByHand() {
        float[] x = new float[32];
        x[0] = -1f;
        x[1] = 1.5f;
        x[2] = -0.5f;
        x[3] = 1f;
        x[17] = 0.75f;
        x[31] = 2f;
        assertArrayEquals(hex("6632 00BC 50 9D 53 5A 5555555555555555555555 F5"), quantize(DType.Q4_1, x));
    }

    /**
     * ggml finds min and max with strict comparisons, so of 0 and −0 the first one seen stays: m of an all-zero
     * block is +0 (0x0000) when it starts with 0 and −0 (0x8000) when it starts with −0 (Math.min would give −0
     * for both).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_1", "Q5_1"})
    void zeroBlocksKeepTheFirstZerosSignAsMinimum(DType type) {
        float[] x = new float[32];
        x[1] = -0f;
        byte[] b = quantize(type, x);
        assertEquals(0, b[2] | b[3], "m of {0, −0, …}");
        x[0] = -0f;
        x[1] = 0f;
        b = quantize(type, x);
        assertEquals(0x00, b[2]);
        assertEquals((byte) 0x80, b[3], "m of {−0, 0, …}");
        assertEquals(0, b[0] | b[1], "d = 0");
        for (int i = 4; i < b.length; i++) {
            assertEquals(0, b[i], "codes and high bits of a zero block, byte " + i);
        }
    }

    /**
     * Q5_0 by hand: max magnitude x[20] = −16.0234375, d = 1 + 3·2⁻¹¹, halfway between binary16 1 + 2⁻¹⁰ (0x3C01)
     * and 1 + 2⁻⁹ (0x3C02): to nearest even 0x3C02. Codes trunc(x/d + 16.5): x[20] → 0; 0 → 16; 5 → 21.49 → 21;
     * −3.3 → 13.20 → 13; 0.6 → 17.10 → 17; −0.6 → 15.90 → 15; 15.9 → 32.38 → 32, clamped to 31. The low nibbles
     * pack as in Q4_0; bit 4 of element j's code is bit j of qh (little-endian u32): set for every code ≥ 16, so all
     * bits but 2 (13), 20 (0) and 31 (15): 0x7FEFFFFB.
     */
    @Test
    void q5_0QuantizedByHand() {
        float[] x = new float[32];
        x[1] = 5f;
        x[2] = -3.3f;
        x[16] = 15.9f;
        x[17] = 0.6f;
        x[20] = -16.0234375f;
        x[31] = -0.6f;
        assertArrayEquals(hex("023C FBFFEF7F F0 15 0D 000000000000000000000000 F0"), quantize(DType.Q5_0, x));
    }

    /**
     * dequantize(quantize(x)) against the bound each type's rounding implies, over blocks of several shapes
     * (Gaussian, all positive, an outlier, a narrow range far from zero, tiny values whose binary16 scale is
     * subnormal). With d the float scale the quantizer derives (q4_0/q5_0: max/−8 or max/−16; q4_1/q5_1: (max −
     * min)/15 or 31; q8_0: max|x|/127) and d', m' the stored binary16 values:
     * <ul>
     *   <li>q4_0/q5_0 (h = 8/16), code k = q − h ∈ [−h, h−1] for x/d ∈ [−h, h]: rounding to nearest gives
     *       |x − k·d| ≤ |d|/2, except where x/d > h − ½ and k is clamped to h − 1: ≤ |d|. Then |k·d − k·d'| ≤
     *       h·|d − d'|.</li>
     *   <li>q4_1/q5_1 (t = 15/31), code q ∈ [0, t]: |x − (q·d + min)| ≤ d/2, |q·d − q·d'| ≤ t·|d − d'|, plus
     *       |min − m'|, which can exceed d when the block sits far from zero in a narrow range.</li>
     *   <li>q8_0: |x − q·d| ≤ |d|/2 and 127·|d − d'|.</li>
     * </ul>
     * d' itself is within half a binary16 ulp of d: 2⁻¹¹·|d| when normal, 2⁻²⁵ when subnormal. Float evaluation is
     * allowed on top: 1e-5 of the step (x·(1/d) is not x/d, which can move a value at a half step) and one ulp of
     * the result (q·d' + m' is rounded to float).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"})
    void roundTripErrorWithinTheBoundOfEachType(DType type) {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[32];
        float[] y = new float[32];
        int[] q = new int[32];
        int clamped = 0;
        for (int n = 0; n < 5000; n++) {
            int shape = n % 5;
            for (int i = 0; i < 32; i++) {
                x[i] = (float) switch (shape) {
                    case 0 -> rnd.nextGaussian();
                    case 1 -> rnd.nextDouble(0.3, 0.5);
                    case 2 -> (i == n % 32 ? 40 : 1) * rnd.nextGaussian();
                    case 3 -> 100 + rnd.nextDouble(-0.01, 0.01);
                    default -> 1e-6 * rnd.nextGaussian();
                };
            }
            byte[] b = quantize(type, x);
            MemorySegment seg = MemorySegment.ofArray(b);
            GgmlBlocks.dequantizeBlock(type, seg, 0, y, 0);
            GgmlBlocks.blockQuants(type, seg, 0, q);
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            float signedMax = 0;
            for (float v : x) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                signedMax = Math.abs(v) > Math.abs(signedMax) ? v : signedMax;
            }
            boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
            int h = type == DType.Q4_0 ? 8 : 16;
            int t = type == DType.Q4_1 ? 15 : 31;
            double d = switch (type) {
                case Q4_0, Q5_0 -> signedMax / (float) -h;
                case Q4_1, Q5_1 -> (max - min) / (float) t;
                default -> Math.abs(signedMax) / 127f;
            };
            double dq = GgmlBlocks.blockScale(seg, 0);
            double scaleErr = Math.abs(d - dq);
            assertTrue(scaleErr <= Math.max(Math.scalb(Math.abs(d), -11), Math.scalb(1.0, -25)),
                    type + " block " + n + ": d " + d + " stored as " + dq);
            double minErr = withMin ? Math.abs(min - GgmlBlocks.blockMin(seg, 0)) : 0;
            int levels = switch (type) {
                case Q4_0, Q5_0 -> h;
                case Q4_1, Q5_1 -> t;
                default -> 127;
            };
            for (int i = 0; i < 32; i++) {
                double slack = 1e-5 * Math.abs(d) + Math.ulp(y[i]);
                boolean clamp = (type == DType.Q4_0 || type == DType.Q5_0) && x[i] / d > h - 0.5;
                clamped += clamp ? 1 : 0;
                double bound = (clamp ? 1 : 0.5) * Math.abs(d) + levels * scaleErr + minErr + slack;
                double err = Math.abs(x[i] - y[i]);
                assertTrue(err <= bound, type + " block " + n + " element " + i + ": " + x[i] + " → " + y[i]
                        + ", |error| " + err + " > " + bound + " (d " + d + ")");
                assertEquals(y[i], q[i] * (float) dq + (withMin ? GgmlBlocks.blockMin(seg, 0) : 0f),
                        1e-6f * Math.max(1, Math.abs(y[i])), "blockQuants agrees with dequantizeBlock");
            }
        }
        if (type == DType.Q4_0 || type == DType.Q5_0) {
            assertTrue(clamped > 0, "some elements were on the clamped side");
        }
    }

    @Test
    void activationQuantUsesHalfEvenAndBinary16Scale() {
        float[] x = new float[32];
        x[0] = 254f; // amax 254 → id = 0.5: 1 → 0.5 → rint = 0, 3 → 1.5 → 2
        x[1] = 1f;
        x[2] = 3f;
        x[3] = -3f;
        byte[] q = new byte[32];
        float[] d = new float[1];
        float[] s = new float[1];
        ActivationQuant.quantize(x, 0, 32, q, d, s);
        assertEquals(127, q[0]);
        assertEquals(0, q[1]);
        assertEquals(2, q[2]);
        assertEquals(-2, q[3]);
        assertEquals(2f, d[0]);
        assertEquals(Half.roundToF16(2f * 127), s[0]);
    }
}
