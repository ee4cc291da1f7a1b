package dev.rwkvedge;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;

import java.io.IOException;
import java.nio.file.Path;

/** Entry point: load a model file and run it. */
public final class Rwkv {
    private Rwkv() {
    }

    /** Loads with the format sniffed and the backend chosen by {@code auto}. */
    public static RwkvModel load(Path path) throws IOException {
        return load(path, LoadOptions.defaults());
    }

    public static RwkvModel load(Path path, LoadOptions options) throws IOException {
        KernelBackend backend = KernelBackends.create(options.backend(), options.threads());
        ModelWeights weights = null;
        try {
            weights = WeightFormats.open(path, options.format());
            return RwkvModel.of(weights, backend, true, options.releasePagesEvery());
        } catch (IOException | RuntimeException e) {
            if (weights != null) {
                weights.close();
            }
            backend.close();
            throw e;
        }
    }
}
