package dev.rwkvedge.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-row INT8 quantizer against hand-computed codes, and the row scale travelling with tensor views. */
class Int8RowsTest {
    @Test
    void codesAreRoundHalfEvenOfValueOverRowMaxOver127() {
        // Row 0: max |w| = 127, so the scale is exactly 1 and the codes are the values rounded half to even
        // (2.5 → 2, −3.5 → −4, 0.5 → 0, 1.5 → 2); rounding half away from zero would give 3, −4, 1, 2.
        // Row 1: max 31.75 → scale 0.25 exactly: 0.125 → 0.5 → 0, −0.375 → −1.5 → −2, 0.625 → 2.5 → 2.
        // Row 2: all zeros → scale 0, codes 0.
        float[] w = {
                127f, 2.5f, -3.5f, 0.5f, 1.5f,
                31.75f, 0.125f, -0.375f, 0.625f, -31.75f,
                0f, 0f, 0f, 0f, 0f};
        Tensor t = Int8Rows.quantize("m", w, 3, 5);
        assertEquals(DType.I8, t.dtype());
        assertTrue(t.hasRowScale());
        assertEquals("m.scale", t.rowScale().name());
        byte[] q = t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        assertArrayEquals(new byte[] {127, 2, -4, 0, 2}, java.util.Arrays.copyOfRange(q, 0, 5));
        assertEquals(1f, t.rowScale(0));
        assertArrayEquals(new byte[] {127, 0, -2, 2, -127}, java.util.Arrays.copyOfRange(q, 5, 10));
        assertEquals(0.25f, t.rowScale(1));
        assertArrayEquals(new float[] {31.75f, 0f, -0.5f, 0.5f, -31.75f}, java.util.Arrays.copyOfRange(t.toFloatArray(), 5, 10));
        assertEquals(0f, t.rowScale(2));
        assertArrayEquals(new byte[5], java.util.Arrays.copyOfRange(q, 10, 15));
    }

    @Test
    void codesStayWithinPlusMinus127AndErrorWithinHalfAScale() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int rows = 9;
        int cols = 37;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * Math.pow(10, i % 5 - 2));
        }
        Tensor t = Int8Rows.quantize("m", w, rows, cols);
        byte[] q = t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        for (int row = 0; row < rows; row++) {
            float s = t.rowScale(row);
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[row * cols + c]));
            }
            assertEquals(max / 127, s);
            for (int c = 0; c < cols; c++) {
                int code = q[row * cols + c];
                assertTrue(code >= -127 && code <= 127);
                assertTrue(Math.abs(w[row * cols + c] - s * code) <= s / 2 * (1 + 1e-6), "row " + row + " col " + c);
            }
        }
    }

    @Test
    void nonFiniteValuesAreRefusedNamingTensorAndRow() {
        float[] w = {1, 2, 3, Float.NaN};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Rows.quantize("blk.w", w, 2, 2));
        assertTrue(e.getMessage().contains("blk.w") && e.getMessage().contains("row 1"), e.getMessage());
    }

    @Test
    void viewsReadScaledValuesAndKeepTheirScales() {
        // 2 × 3 × 2 tensor: 6 rows of 2 codes, scale r + 1 for row r.
        byte[] q = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
        float[] scales = {1, 2, 3, 4, 5, 6};
        Tensor raw = new Tensor("w", DType.I8, new long[] {2, 3, 2}, MemorySegment.ofArray(q));
        Tensor t = raw.withRowScale(Tensor.ofFloats("w.scale", scales));
        assertEquals(5 * 9, t.get(8), "element 8 is row 4 (scale 5) with code 9");
        float[] row = new float[2];
        t.readRow(3, row, 0);
        assertArrayEquals(new float[] {4 * 7, 4 * -8}, row);
        assertArrayEquals(new float[] {1, -2, 6, -8, 15, -18, 28, -32, 45, -50, 66, -72}, t.toFloatArray());

        Tensor s1 = t.slice(1);
        assertTrue(s1.hasRowScale());
        assertArrayEquals(new float[] {28, -32, 45, -50, 66, -72}, s1.toFloatArray());
        Tensor rr = t.reshaped(6, 2).rowRange(2, 3);
        assertArrayEquals(new float[] {15, -18, 28, -32, 45, -50}, rr.toFloatArray());
        assertEquals(4 + 2, t.rowBytesWithScale());
        assertEquals(12 + 24, t.byteSizeWithScale());
        assertTrue(t.renamed("v").hasRowScale());

        assertNull(raw.rowScale());
        assertEquals(-10f, raw.get(9), "an I8 tensor without a scale holds plain integers (sign bits)");
        assertFalse(t.withoutRowScale().hasRowScale());
        assertThrows(IllegalArgumentException.class, () -> t.reshaped(12), "reshaping across rows loses the scale");
        assertThrows(IllegalArgumentException.class, () -> raw.withRowScale(Tensor.ofFloats("s", new float[5])));
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats("f", new float[6], 6, 1)
                .withRowScale(Tensor.ofFloats("s", new float[6])));
    }
}
