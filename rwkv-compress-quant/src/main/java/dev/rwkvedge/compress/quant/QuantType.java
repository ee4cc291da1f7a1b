package dev.rwkvedge.compress.quant;

import dev.rwkvedge.tensor.DType;

/** The two weight formats the {@code quantize} step writes. */
enum QuantType {
    /** Per-row INT8: I8 codes plus one F32 scale per row ({@link dev.rwkvedge.tensor.Int8Rows}); any row length. */
    INT8("int8", DType.I8),
    /** ggml's Q8_0 blocks (binary16 scale per 32 elements, {@link dev.rwkvedge.tensor.GgmlBlocks}); rows of 32k. */
    Q8_0("q8_0", DType.Q8_0);

    final String id;
    final DType dtype;

    QuantType(String id, DType dtype) {
        this.id = id;
        this.dtype = dtype;
    }

    /** The type named {@code id} ({@code int8} or {@code q8_0}, case-insensitive), or null. */
    static QuantType parse(String id) {
        for (QuantType t : values()) {
            if (t.id.equalsIgnoreCase(id.trim())) {
                return t;
            }
        }
        return null;
    }
}
