package dev.rwkvedge.format.rwkvcpp;

import dev.rwkvedge.tensor.DType;

/**
 * rwkv.cpp's data type codes (its own numbering, not ggml's: RWKV-MATH.md §4) and what rwkv-edge maps them to.
 */
final class RwkvCppType {
    private RwkvCppType() {
    }

    /** The dtype of code {@code code}, or null when rwkv-edge cannot read it; see {@link #describe}. */
    static DType of(int code) {
        return switch (code) {
            case 0 -> DType.F32;
            case 1 -> DType.F16;
            case 2 -> DType.Q4_0;
            case 3 -> DType.Q4_1;
            case 7 -> DType.Q5_0;
            case 8 -> DType.Q5_1;
            case 9 -> DType.Q8_0;
            default -> null;
        };
    }

    static int code(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q5_0 -> 7;
            case Q5_1 -> 8;
            case Q8_0 -> 9;
            default -> -1;
        };
    }

    /** A name for any code, known or not, for error messages. */
    static String describe(int code) {
        return switch (code) {
            case 4, 5, 6 -> "Q4_1_O/Q4_2/Q4_3 (code " + code + ", removed from rwkv.cpp; re-quantize from FP16)";
            case 10 -> "Q8_1 (code 10, an activation type, not stored in models)";
            case 11, 12, 13, 14, 15, 16 -> "K-quant (code " + code + ", not supported by rwkv.cpp's loader)";
            default -> {
                DType t = of(code);
                yield t == null ? "unknown data type code " + code : t + " (code " + code + ")";
            }
        };
    }
}
