package dev.rwkvedge.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One-bit matrices: the sign predictor's key quantized to one bit per weight (PAPER.md §3.4), held as an I8 tensor
 * of F rows by {@code ⌈C/8⌉} bytes, without a row scale.
 * <pre>
 *   row j:  byte 0 = columns 7..0 | byte 1 = columns 15..8 | …      bit i of byte b = column 8b + i
 * </pre>
 * {@link #scores} is the reference of {@code KernelBackend.signDots}: {@code out[j] = Σ x_i} over the set bits of
 * row j. For every 8 columns the 256 possible partial sums are built once per call (256 adds), then each row costs
 * one table read per byte, added in ascending byte order.
 */
public final class SignBits {
    private SignBits() {
    }

    /** Bytes per row for {@code cols} columns. */
    public static int stride(int cols) {
        return (cols + 7) / 8;
    }

    /** Floats of the lookup table {@link #scores} needs for {@code cols} columns. */
    public static int tableSize(int cols) {
        return stride(cols) * 256;
    }

    /** Packs {@code b_ij = 1 iff w_ij ≥ midpoint} of F rows of C floats. */
    public static byte[] pack(float[] w, int cols, int rows, float midpoint) {
        int stride = stride(cols);
        byte[] out = new byte[stride * rows];
        for (int j = 0; j < rows; j++) {
            for (int i = 0; i < cols; i++) {
                if (w[j * cols + i] >= midpoint) {
                    out[j * stride + (i >> 3)] |= (byte) (1 << (i & 7));
                }
            }
        }
        return out;
    }

    /**
     * Checks that {@code bits} holds packed bits for {@code cols} columns: I8, no row scale, {@code ⌈cols/8⌉} bytes a
     * row; returns the row count.
     */
    public static int checkShape(Tensor bits, int cols) {
        if (bits.dtype() != DType.I8 || bits.hasRowScale() || bits.rank() != 2 || bits.cols() != stride(cols)) {
            throw new IllegalArgumentException("sign bits for " + cols + " columns must be I8 rows of " + stride(cols)
                    + " bytes without a row scale, got " + bits);
        }
        return bits.rows();
    }

    /** Packed bits as an I8 tensor {@code rows × stride} on the heap. */
    public static Tensor tensor(String name, byte[] bits, int cols, int rows) {
        if (bits.length != (long) stride(cols) * rows) {
            throw new IllegalArgumentException("sign bits have " + bits.length + " bytes, expected " + rows + "×"
                    + stride(cols));
        }
        return new Tensor(name, DType.I8, new long[] {rows, stride(cols)}, MemorySegment.ofArray(bits));
    }

    /**
     * The reference scores of {@code rows} rows of packed bits in {@code bits} (row j at byte {@code j·stride(cols)}),
     * using {@code lut} (at least {@link #tableSize} floats) as the table.
     */
    public static void scores(MemorySegment bits, int rows, int cols, float[] x, int xOff, float[] lut, float[] out) {
        scores(bits, rows, cols, x, xOff, lut, out, 0);
    }

    /** {@link #scores(MemorySegment, int, int, float[], int, float[], float[])} into {@code out[outOff ..]}. */
    public static void scores(MemorySegment bits, int rows, int cols, float[] x, int xOff, float[] lut, float[] out,
                              int outOff) {
        int stride = stride(cols);
        for (int b = 0; b < stride; b++) {
            int base = b * 256;
            lut[base] = 0;
            for (int v = 1; v < 256; v++) {
                int i = 8 * b + Integer.numberOfTrailingZeros(v);
                lut[base + v] = lut[base + (v & (v - 1))] + (i < cols ? x[xOff + i] : 0);
            }
        }
        for (int j = 0; j < rows; j++) {
            float s = 0;
            long row = (long) j * stride;
            for (int b = 0; b < stride; b++) {
                s += lut[b * 256 + (bits.get(ValueLayout.JAVA_BYTE, row + b) & 0xff)];
            }
            out[outOff + j] = s;
        }
    }
}
