package dev.rwkvedge.pipeline;

import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.Tensor;

import java.util.EnumMap;
import java.util.Map;

/** Bytes of a model's tensors by {@link Component}. */
public final class ModelSizes {
    private ModelSizes() {
    }

    public static Map<Component, Long> byComponent(ModelWeights w) {
        Map<Component, Long> m = new EnumMap<>(Component.class);
        for (Tensor t : w.tensors()) {
            m.merge(Component.of(t.name()), t.byteSize(), Long::sum);
        }
        return m;
    }
}
