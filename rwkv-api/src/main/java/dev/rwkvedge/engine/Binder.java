package dev.rwkvedge.engine;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.operators.DenseFfn;
import dev.rwkvedge.operators.ObservedLinear;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Looks up the tensors a {@link Block} needs and checks their sizes, so that a model with a wrong shape fails at
 * load with the file and tensor named rather than deep inside a kernel.
 */
final class Binder {
    private final ModelWeights weights;
    private final ModelConfig config;
    private final KernelBackend backend;
    private final ActivationObserver observer;
    private int maxOpScratch;
    private final List<Footprint> footprints = new ArrayList<>();

    Binder(ModelWeights weights, ModelConfig config, KernelBackend backend, ActivationObserver observer) {
        this.weights = weights;
        this.config = config;
        this.backend = backend;
        this.observer = observer;
    }

    ModelWeights weights() {
        return weights;
    }

    ModelConfig config() {
        return config;
    }

    KernelBackend backend() {
        return backend;
    }

    /** Largest per-token scratch of any operator bound so far. */
    int maxOpScratch() {
        return maxOpScratch;
    }

    /** What every operator bound so far holds, for the memory account. */
    List<Footprint> footprints() {
        return List.copyOf(footprints);
    }

    /** A linear map of the operator vocabulary: dense, low-rank, or a plugin's operator. */
    LinearOperator linear(String name, int rows, int cols) {
        LinearOperator op = Operators.linear(weights, name, rows, cols);
        footprints.add(op.footprint());
        if (observer != null) {
            op = new ObservedLinear(name, op, observer);
        }
        maxOpScratch = Math.max(maxOpScratch, op.scratchPerToken());
        return op;
    }

    /**
     * The channel-mix core of block {@code layer}: an operator provider's (e.g. {@code predicted-sparse}) when one
     * claims the layer, else the key/value pair as two linear maps (dense, low-rank, RWKV-Lite …).
     */
    FfnOperator ffn(int layer, int embd, int ffn) {
        String key = "blocks." + layer + ".ffn.key.weight";
        FfnOperator op = weights.contains(key) ? null : Operators.ffn(weights, layer, embd, ffn).orElse(null);
        if (op == null) {
            // Each linear map records its own footprint.
            op = new DenseFfn(linear(key, ffn, embd), linear("blocks." + layer + ".ffn.value.weight", embd, ffn));
        } else {
            footprints.add(op.footprint());
        }
        maxOpScratch = Math.max(maxOpScratch, op.scratchPerToken());
        return op;
    }

    LinearOperator linear(int layer, String suffix, int rows, int cols) {
        return linear("blocks." + layer + "." + suffix, rows, cols);
    }

    /** A small vector, dequantized to floats; its element count must be {@code len}. */
    float[] vec(String name, int len) {
        Tensor t = weights.get(name);
        if (t.elementCount() != len) {
            throw bad(t, "has " + t.elementCount() + " elements, expected " + len);
        }
        footprints.add(Footprint.decoded(t));
        return t.toFloatArray();
    }

    float[] vec(int layer, String suffix, int len) {
        return vec("blocks." + layer + "." + suffix, len);
    }

    /** A matrix of {@code rows × cols} (rows of {@code cols} contiguous elements). */
    Tensor mat(String name, int rows, int cols) {
        Tensor t = weights.get(name);
        if (t.rank() < 2 || t.rows() != rows || t.cols() != cols) {
            throw bad(t, "has shape " + Arrays.toString(t.shape()) + ", expected (" + rows + ", " + cols + ")");
        }
        return t;
    }

    Tensor mat(int layer, String suffix, int rows, int cols) {
        return mat("blocks." + layer + "." + suffix, rows, cols);
    }

    /** A matrix whose row length is {@code cols} and whose row count is read from the file (LoRA widths). */
    Tensor matCols(int layer, String suffix, int cols) {
        Tensor t = weights.get("blocks." + layer + "." + suffix);
        if (t.rank() < 2 || t.cols() != cols) {
            throw bad(t, "has shape " + Arrays.toString(t.shape()) + ", expected rows of " + cols);
        }
        return t;
    }

    boolean has(int layer, String suffix) {
        return weights.contains("blocks." + layer + "." + suffix);
    }

    WeightFormatException bad(Tensor t, String problem) {
        return new WeightFormatException(weights.source(), t.name(), -1, problem);
    }
}
