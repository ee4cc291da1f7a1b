package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Stores the FFN value matrix (C×F, a neuron is a column) transposed to F×C, so that each neuron's weights are one
 * contiguous row, as the key's already are (PAPER.md §3.6: "ffn.value is column-based … or W_v stored transposed").
 * The dtype is kept and the conversion is exact: every F16/BF16 value round-trips through float.
 */
final class NeuronMajor {
    private NeuronMajor() {
    }

    static Tensor transpose(Tensor value, String name) {
        int rows = value.rows();
        int cols = value.cols();
        float[] v = value.toFloatArray();
        DType type = value.dtype();
        long[] shape = {cols, rows};
        return switch (type) {
            case F32 -> {
                float[] t = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        t[c * rows + r] = v[r * cols + c];
                    }
                }
                yield Tensor.ofFloats(name, t, shape);
            }
            case F16, BF16 -> {
                short[] t = new short[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        float x = v[r * cols + c];
                        t[c * rows + r] = type == DType.F16 ? Half.floatToF16(x) : Half.floatToBf16(x);
                    }
                }
                yield new Tensor(name, type, shape, MemorySegment.ofArray(t));
            }
            default -> throw new IllegalArgumentException(value + ": only F32, F16 and BF16 can be stored neuron-major"
                    + " (run the sparsity step before quantize, which then quantizes the neuron rows)");
        };
    }
}
