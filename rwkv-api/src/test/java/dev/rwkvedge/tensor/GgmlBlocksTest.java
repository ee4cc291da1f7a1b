package dev.rwkvedge.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
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
    void q4_0ByHand() {
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
    void q5_1ByHand() {
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

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"})
    void quantizeThenDequantizeWithinHalfAStep(DType type) {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        byte[] b = new byte[type.blockBytes()];
        GgmlBlocks.quantizeBlock(type, x, 0, b, 0);
        float[] y = new float[32];
        GgmlBlocks.dequantizeBlock(type, MemorySegment.ofArray(b), 0, y, 0);
        float max = 0;
        float min = 0;
        float amax = 0;
        for (float v : x) {
            max = Math.max(max, v);
            min = Math.min(min, v);
            amax = Math.max(amax, Math.abs(v));
        }
        int levels = switch (type) {
            case Q4_0, Q4_1 -> 15;
            case Q5_0, Q5_1 -> 31;
            default -> 254;
        };
        float step = (type == DType.Q4_1 || type == DType.Q5_1 ? (max - min) : 2 * amax) / levels;
        for (int i = 0; i < 32; i++) {
            // Half a step, plus the binary16 rounding of d (and m), which shifts every level slightly.
            assertTrue(Math.abs(x[i] - y[i]) <= 0.5f * step * 1.01f + 1e-3f * amax, type + " element " + i
                    + ": " + x[i] + " → " + y[i] + " (step " + step + ")");
        }
        int[] q = new int[32];
        GgmlBlocks.blockQuants(type, MemorySegment.ofArray(b), 0, q);
        float d = GgmlBlocks.blockScale(MemorySegment.ofArray(b), 0);
        float m = type == DType.Q4_1 || type == DType.Q5_1 ? GgmlBlocks.blockMin(MemorySegment.ofArray(b), 0) : 0;
        float[] fromQuants = new float[32];
        for (int i = 0; i < 32; i++) {
            fromQuants[i] = q[i] * d + m;
        }
        assertArrayEquals(y, fromQuants, 1e-6f, "blockQuants agrees with dequantizeBlock");
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
