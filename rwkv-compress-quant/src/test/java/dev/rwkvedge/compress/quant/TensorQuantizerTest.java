package dev.rwkvedge.compress.quant;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both quantizers against hand-computed codes, scales and error figures. */
class TensorQuantizerTest {
    @Test
    void int8CodesScalesAndErrors() {
        // Row 0: scale 1 (max 127); codes round half to even: 2.5 → 2, −3.5 → −4, 0.5 → 0, 1.5 → 2.
        // Row 1: scale 0.25 (max 31.75); 0.125 → 0.5 → 0, −0.375 → −1.5 → −2, 0.625 → 2.5 → 2.
        float[] w = {127f, 2.5f, -3.5f, 0.5f, 1.5f, 31.75f, 0.125f, -0.375f, 0.625f, -31.75f};
        TensorQuantizer.Outcome o = TensorQuantizer.quantize(Tensor.ofFloats("blocks.0.att.key.weight", w, 2, 5),
                QuantType.INT8);
        Tensor q = o.quantized();
        assertEquals(DType.I8, q.dtype());
        assertArrayEquals(new byte[] {127, 2, -4, 0, 2, 127, 0, -2, 2, -127}, q.data().toArray(ValueLayout.JAVA_BYTE));
        assertArrayEquals(new float[] {1f, 0.25f}, q.rowScale().toFloatArray());
        assertEquals("blocks.0.att.key.weight.scale", q.rowScale().name());
        // |w − ŵ|: row 0: 0, ½, ½, ½, ½; row 1: 0, ⅛, ⅛, ⅛, 0.
        assertEquals(4 * 0.25 + 3 * 0.015625, o.errorSquares(), 0);
        double norm = 127 * 127 + 2.5 * 2.5 + 3.5 * 3.5 + 0.25 + 2.25 + 2 * 31.75 * 31.75 + 0.015625 + 0.140625 + 0.390625;
        assertEquals(norm, o.normSquares(), 1e-9);
        assertEquals(Math.sqrt(1.046875 / norm), o.relativeError(), 1e-15);
        assertEquals(0.5, o.maxAbsError());
        assertEquals(40, o.bytesBefore());
        assertEquals(10 + 8, o.bytesAfter());
    }

    @Test
    void q8_0BlocksAreGgmlReferenceBlocks() {
        // One block, max 127 → d = 1 (binary16 0x3C00); ggml's reference rounds half away from zero:
        // −63.5 → −64, 0.5 → 1, 1.5 → 2, −2.5 → −3.
        float[] w = new float[32];
        float[] head = {127f, -63.5f, 0.5f, 1.5f, -2.5f, 0.25f};
        System.arraycopy(head, 0, w, 0, head.length);
        TensorQuantizer.Outcome o = TensorQuantizer.quantize(Tensor.ofFloats("head.weight", w, 1, 32), QuantType.Q8_0);
        Tensor q = o.quantized();
        assertEquals(DType.Q8_0, q.dtype());
        assertFalse(q.hasRowScale());
        byte[] b = q.data().toArray(ValueLayout.JAVA_BYTE);
        assertEquals(34, b.length);
        assertEquals((short) 0x3C00, (short) ((b[0] & 0xFF) | (b[1] << 8)));
        assertArrayEquals(new byte[] {127, -64, 1, 2, -3, 0, 0}, Arrays.copyOfRange(b, 2, 9));
        assertEquals(4 * 0.25 + 0.0625, o.errorSquares(), 0);
        assertEquals(0.5, o.maxAbsError());
        assertEquals(34, o.bytesAfter());
    }

    @Test
    void blockTypesOfRowsThatAreNotWholeBlocksBecomeInt8() {
        short[] h = new short[3 * 48];
        for (int i = 0; i < h.length; i++) {
            h[i] = Half.floatToF16((i % 7 - 3) * 0.1f);
        }
        Tensor f16 = new Tensor("blocks.0.att.key.weight.lowrank.a", DType.F16, new long[] {3, 48}, MemorySegment.ofArray(h));
        for (QuantType t : List.of(QuantType.Q8_0, QuantType.Q5_1, QuantType.Q4_0)) {
            assertEquals("rows of 48 are not a multiple of 32", Candidates.fallback(f16, t), t.id);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorQuantizer.quantize(f16, t));
            assertTrue(e.getMessage().contains("blocks.0.att.key.weight.lowrank.a") && e.getMessage().contains("48"),
                    e.getMessage());
        }
        assertNull(Candidates.fallback(f16, QuantType.INT8));
        TensorQuantizer.Outcome o = TensorQuantizer.quantize(f16, QuantType.INT8);
        assertEquals(DType.I8, o.quantized().dtype());
        assertTrue(o.quantized().hasRowScale());
        assertEquals(3 * 48 * 2, o.bytesBefore());
        assertEquals(3 * 48 + 3 * 4, o.bytesAfter());
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTensorAndPosition() {
        float[] w = new float[64];
        w[37] = Float.POSITIVE_INFINITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorQuantizer.quantize(Tensor.ofFloats("blocks.2.ffn.key.weight", w, 2, 32), QuantType.Q8_0));
        assertTrue(e.getMessage().contains("blocks.2.ffn.key.weight") && e.getMessage().contains("row 1"), e.getMessage());
    }

    /**
     * A block scale beyond binary16 (65504) would be stored as infinity: 6e5 in row 1, columns 32..63 gives Q4_0
     * d = 6e5/8 = 75000 and Q4_1 m = −6e5; both are refused naming the block, while INT8 (float scale) takes it.
     */
    @Test
    void blockScalesThatOverflowBinary16AreRefusedNamingTheBlock() {
        float[] w = new float[2 * 64];
        w[64 + 40] = -6e5f;
        Tensor t = Tensor.ofFloats("blocks.1.ffn.value.weight", w, 2, 64);
        for (QuantType type : List.of(QuantType.Q4_0, QuantType.Q4_1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorQuantizer.quantize(t, type));
            assertTrue(e.getMessage().contains("blocks.1.ffn.value.weight") && e.getMessage().contains("row 1")
                    && e.getMessage().contains("32..63") && e.getMessage().contains("binary16"), e.getMessage());
        }
        TensorQuantizer.Outcome o = TensorQuantizer.quantize(t, QuantType.INT8);
        assertArrayEquals(new float[] {0f, 6e5f / 127}, o.quantized().rowScale().toFloatArray());
    }
}
