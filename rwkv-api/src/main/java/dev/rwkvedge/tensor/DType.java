package dev.rwkvedge.tensor;

import java.util.Locale;

/**
 * Element types a {@link Tensor} can hold.
 *
 * <p>Block types follow ggml's layouts (ggml {@code src/ggml-common.h}); every block covers 32
 * consecutive elements of one row, so a quantized row length must be a multiple of 32.
 * {@link #I8} is a row-wise INT8 type whose per-row scale lives in a separate F32 tensor.
 */
public enum DType {
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    Q4_0(32, 18),
    Q4_1(32, 20),
    Q5_0(32, 22),
    Q5_1(32, 24),
    Q8_0(32, 34),
    I8(1, 1),
    I32(1, 4);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Elements per block: 1 for plain types, 32 for ggml block types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** True for the types that hold real numbers directly (F32, F16, BF16). */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * Bytes needed for {@code elements} elements.
     *
     * @throws IllegalArgumentException if a block type gets a count that is not a whole number of blocks
     */
    public long byteSize(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException("negative element count " + elements);
        }
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** Parses a name such as {@code f16}, {@code Q8_0} or {@code q5-1}, ignoring case. */
    public static DType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (DType t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'; known: f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, i8, i32");
    }

    /** Lower-case name as used on the command line and in metadata. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
