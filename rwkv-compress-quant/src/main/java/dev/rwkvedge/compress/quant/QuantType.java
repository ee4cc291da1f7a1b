package dev.rwkvedge.compress.quant;

import dev.rwkvedge.tensor.DType;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The weight formats the {@code quantize} step writes. */
enum QuantType {
    /** Per-row INT8: I8 codes plus one F32 scale per row ({@link dev.rwkvedge.tensor.Int8Rows}); any row length. */
    INT8("int8", DType.I8),
    /** ggml's Q8_0 blocks (binary16 scale per 32 elements, {@link dev.rwkvedge.tensor.GgmlBlocks}); rows of 32k. */
    Q8_0("q8_0", DType.Q8_0),
    /** ggml's Q5_1: 5-bit codes with a binary16 scale and minimum per 32 elements (6 bits per weight). */
    Q5_1("q5_1", DType.Q5_1),
    /** ggml's Q5_0: 5-bit codes around zero with a binary16 scale per 32 elements (5.5 bits per weight). */
    Q5_0("q5_0", DType.Q5_0),
    /** ggml's Q4_1: 4-bit codes with a binary16 scale and minimum per 32 elements (5 bits per weight). */
    Q4_1("q4_1", DType.Q4_1),
    /** ggml's Q4_0: 4-bit codes around zero with a binary16 scale per 32 elements (4.5 bits per weight). */
    Q4_0("q4_0", DType.Q4_0);

    final String id;
    final DType dtype;

    QuantType(String id, DType dtype) {
        this.id = id;
        this.dtype = dtype;
    }

    /** Whether this is a ggml block type, which needs rows of a multiple of 32 elements. */
    boolean isBlock() {
        return dtype.isQuantized();
    }

    /** The type named {@code id} ({@code int8}, {@code q8_0}, …, case-insensitive), or null. */
    static QuantType parse(String id) {
        for (QuantType t : values()) {
            if (t.id.equalsIgnoreCase(id.trim())) {
                return t;
            }
        }
        return null;
    }

    /** "int8, q8_0, …, or q4_0", for error messages. */
    static String choices() {
        String all = Arrays.stream(values()).map(t -> t.id).collect(Collectors.joining(", "));
        int last = all.lastIndexOf(", ");
        return all.substring(0, last) + " or " + all.substring(last + 2);
    }
}
