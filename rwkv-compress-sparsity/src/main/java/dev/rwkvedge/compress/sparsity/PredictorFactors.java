package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The trained MLP factors P1 (h×C) and P2 (F×h) as the tensors the {@code sparsity} step stores, in the step's
 * {@code predictor-dtype}: F16 by default (PAPER.md §6, "the MLP predictor stays fp16"; round to nearest even, as
 * {@code torch.half()}), or F32. The step calibrates its thresholds and measures recall with these very tensors, so
 * the report describes the predictor the model file holds, F16 rounding included.
 */
final class PredictorFactors {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Alignment of the F16 copy: that of a tensor in the rwkv-edge container. */
    private static final long ALIGN = 64;

    private PredictorFactors() {
    }

    /**
     * {@code values} (row-major {@code rows × cols}) as {@code dtype}. F16 goes to aligned native memory, as a mapped
     * model file is: the {@code vector} backend's half-float loads from a short[]-backed heap segment are not
     * intrinsified by the JIT, and calibration runs these products on the pipeline's backend.
     */
    static Tensor matrix(String name, float[] values, int rows, int cols, DType dtype) {
        long[] shape = {rows, cols};
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for " + rows + "×" + cols);
        }
        return switch (dtype) {
            case F32 -> Tensor.ofFloats(name, values, shape);
            case F16 -> {
                MemorySegment seg = Arena.ofAuto().allocate(2L * values.length, ALIGN);
                for (int i = 0; i < values.length; i++) {
                    seg.setAtIndex(F16, i, Half.floatToF16(values[i]));
                }
                yield new Tensor(name, DType.F16, shape, seg);
            }
            default -> throw new IllegalArgumentException("MLP predictor factors are f16 or f32, not " + dtype.id());
        };
    }
}
