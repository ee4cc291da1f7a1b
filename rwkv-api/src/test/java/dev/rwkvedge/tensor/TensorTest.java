package dev.rwkvedge.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTest {
    @Test
    void viewsSlicesAndRows() {
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Tensor t = Tensor.ofFloats("t", v, 2, 3, 4);
        assertEquals(6, t.rows());
        assertEquals(4, t.cols());
        Tensor s = t.slice(1);
        assertArrayEquals(new long[] {3, 4}, s.shape());
        assertEquals(12f, s.get(0));
        float[] row = new float[4];
        s.readRow(2, row, 0);
        assertArrayEquals(new float[] {20, 21, 22, 23}, row);
        assertTrue(t.data().isReadOnly());
    }

    @Test
    void rejectsSizeMismatchAndRaggedBlocks() {
        assertThrows(IllegalArgumentException.class,
                () -> new Tensor("x", DType.F32, new long[] {3}, MemorySegment.ofArray(new float[4])));
        assertThrows(IllegalArgumentException.class,
                () -> new Tensor("q", DType.Q8_0, new long[] {1, 16}, MemorySegment.ofArray(new byte[17])));
    }

    @Test
    void halfAndBf16() {
        assertEquals(1.5f, Half.f16ToFloat(Half.floatToF16(1.5f)));
        assertEquals(1.0f, Half.bf16ToFloat(Half.floatToBf16(1.0f)));
        // bf16 rounds to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 → 1.
        assertEquals(1.0f, Half.bf16ToFloat(Half.floatToBf16(1.0f + 0x1p-8f)));
        assertEquals(1.0f + 0x1p-7f, Half.bf16ToFloat(Half.floatToBf16(1.0f + 0x1p-8f + 0x1p-20f)));
    }
}
