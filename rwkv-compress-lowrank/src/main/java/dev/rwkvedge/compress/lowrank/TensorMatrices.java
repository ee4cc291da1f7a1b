package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;

import java.lang.foreign.MemorySegment;

/**
 * Moves matrices between model tensors (any dtype, row-major {@code (out, in)}) and EJML float64 matrices, and
 * rounds factors to their stored dtype so that errors are measured on what the runtime will actually read.
 */
final class TensorMatrices {
    private TensorMatrices() {
    }

    /** The tensor's values, dequantized, as a float64 {@code rows × cols} matrix. */
    static DMatrixRMaj toMatrix(Tensor t) {
        int rows = t.rows();
        int cols = t.cols();
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            t.readRow(r, row, 0);
            int base = r * cols;
            for (int i = 0; i < cols; i++) {
                m.data[base + i] = row[i];
            }
        }
        return m;
    }

    /**
     * A heap tensor named {@code name} holding {@code m} in {@code dtype} (F32, F16 or BF16; round to nearest even).
     */
    static Tensor toTensor(String name, DMatrixRMaj m, DType dtype) {
        int n = m.numRows * m.numCols;
        long[] shape = {m.numRows, m.numCols};
        return switch (dtype) {
            case F32 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) m.data[i];
                }
                yield Tensor.ofFloats(name, v, shape);
            }
            case F16, BF16 -> {
                short[] v = new short[n];
                for (int i = 0; i < n; i++) {
                    float f = (float) m.data[i];
                    v[i] = dtype == DType.F16 ? Half.floatToF16(f) : Half.floatToBf16(f);
                }
                yield new Tensor(name, dtype, shape, MemorySegment.ofArray(v));
            }
            default -> throw new IllegalArgumentException("low-rank factors are f32, f16 or bf16, not " + dtype.id());
        };
    }
}
