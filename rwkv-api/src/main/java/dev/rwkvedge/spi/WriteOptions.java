package dev.rwkvedge.spi;

import dev.rwkvedge.tensor.DType;

/**
 * Options for {@link WeightFormatProvider#write}.
 *
 * @param dtype the element type for large float matrices, or {@code null} to keep each tensor's own type
 */
public record WriteOptions(DType dtype) {
    public static WriteOptions keep() {
        return new WriteOptions(null);
    }
}
