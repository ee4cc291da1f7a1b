package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.format.container.ContainerFormatProvider;
import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Fuzzes the rwkv-edge container reader with mutants of a container written from a real Q5_1 model (so block
 * types, padding tensors and the model metadata are all present): header length, JSON header bytes, and
 * length-consistent JSON edits that reach the container's own checks (metadata, padding tensors, block shapes).
 */
class ContainerFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantOpensOrFailsWithWeightFormatException() throws Exception {
        Path seed = dir.resolve("seed.rwkv-edge");
        try (ModelWeights w = new RwkvCppFormatProvider().open(Fixtures.require("models/tiny/tiny-rwkv-5v1-730K-Q5_1.bin"))) {
            new ContainerFormatProvider().write(w, seed, WriteOptions.keep());
        }
        WeightFuzz.run(new ContainerFormatProvider(), dir, ".rwkv-edge", List.of(seed),
                FormatLayouts::safetensors, new SafetensorsHeaderMutation());
    }
}
