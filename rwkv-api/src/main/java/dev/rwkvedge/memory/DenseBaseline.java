package dev.rwkvedge.memory;

import dev.rwkvedge.model.DenseShape;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.Tensor;

/**
 * The dense model a compressed one is compared with (PAPER.md §6: 0.4B is "462 M (923 MB)"): every canonical tensor
 * of the same version and dimensions, counted from {@link SyntheticModel#tensorShapes}, at 2 bytes (FP16) or 4 bytes
 * (FP32) per parameter.
 *
 * @param parameters elements of all tensors of the dense model
 */
public record DenseBaseline(DenseShape shape, long parameters) {
    public static DenseBaseline of(DenseShape shape) {
        long n = 0;
        for (long[] s : SyntheticModel.tensorShapes(shape).values()) {
            n += Tensor.count(s);
        }
        return new DenseBaseline(shape, n);
    }

    /** The dense counterpart of a loaded (possibly compressed) model. */
    public static DenseBaseline of(ModelWeights w, ModelConfig c) {
        return of(DenseShape.of(w, c));
    }

    public long fp16Bytes() {
        return 2 * parameters;
    }

    public long fp32Bytes() {
        return 4 * parameters;
    }
}
