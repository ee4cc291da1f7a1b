package dev.rwkvedge.testing.fuzz;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.Tensor;

/**
 * What a fuzz target does with weights that opened: reads the first and the last element of every tensor, so a
 * lazy view whose bounds were never checked against the file fails here rather than later in a session, and derives
 * the {@link ModelConfig} as {@code Rwkv.load} does (its integer conversions see the same hostile shapes).
 */
public final class TouchTensors {
    private TouchTensors() {
    }

    public static void touch(ModelWeights w) {
        for (Tensor t : w.tensors()) {
            long n = t.elementCount();
            if (n > 0) {
                t.get(0);
                t.get(n - 1);
            }
        }
        ModelConfig.of(w);
    }
}
