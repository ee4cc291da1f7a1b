package dev.rwkvedge.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The reference per-row INT8 quantizer: symmetric, one F32 scale per row (the layout is in {@link Tensor}).
 * <pre>
 *   s[r] = max_c |w[r][c]| / 127                  (float; 0 for a row of zeros)
 *   q[r][c] = clamp(round-half-even(w[r][c] / s[r]), −127, 127)      (the division in double)
 *   w[r][c] ≈ s[r]·q[r][c],   |w − s·q| ≤ s/2 (+ float rounding of s·q)
 * </pre>
 * −128 is never produced, so the code range is symmetric and negating a row negates its codes. Unlike ggml's Q8_0
 * (a binary16 scale per 32 elements, 8.5 bits per weight) this costs 8 bits per weight plus 4 bytes per row and works
 * for any row length; its error follows the largest element of the whole row instead of each 32-block.
 */
public final class Int8Rows {
    /** Largest code magnitude. */
    public static final int QMAX = 127;

    private Int8Rows() {
    }

    /**
     * Quantizes {@code x[off..off+len)} into {@code q[qOff..qOff+len)} and returns the row's scale.
     *
     * @throws IllegalArgumentException if a value is not finite
     */
    public static float quantizeRow(float[] x, int off, int len, byte[] q, int qOff) {
        float amax = 0;
        for (int i = 0; i < len; i++) {
            float v = x[off + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("element " + i + " is " + v + ", not a finite number");
            }
            amax = Math.max(amax, Math.abs(v));
        }
        float scale = amax / QMAX;
        for (int i = 0; i < len; i++) {
            int v = scale == 0 ? 0 : (int) Math.rint((double) x[off + i] / scale);
            q[qOff + i] = (byte) Math.max(-QMAX, Math.min(QMAX, v));
        }
        return scale;
    }

    /**
     * An I8 tensor of {@code shape} with its row scale (named {@link Tensor#rowScaleName}), quantized from
     * {@code values} (row-major, rows of the last dimension).
     *
     * @throws IllegalArgumentException naming the tensor and row if a value is not finite
     */
    public static Tensor quantize(String name, float[] values, long... shape) {
        long count = Tensor.count(shape);
        if (count != values.length || shape.length == 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + values.length + " values for shape "
                    + java.util.Arrays.toString(shape));
        }
        int cols = Math.toIntExact(shape[shape.length - 1]);
        int rows = cols == 0 ? 0 : values.length / cols;
        byte[] q = new byte[values.length];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            try {
                scales[r] = quantizeRow(values, r * cols, cols, q, r * cols);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tensor " + name + " row " + r + ": " + e.getMessage(), e);
            }
        }
        Tensor scale = Tensor.ofFloats(Tensor.rowScaleName(name), scales, rows);
        return new Tensor(name, DType.I8, shape, MemorySegment.ofArray(q)).withRowScale(scale);
    }
}
