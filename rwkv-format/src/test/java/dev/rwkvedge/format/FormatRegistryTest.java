package dev.rwkvedge.format;

import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The four providers are registered through META-INF/services, and detection picks the right one for each file. */
class FormatRegistryTest {
    @Test
    void allFormatsAreRegisteredAndWritable() {
        assertTrue(WeightFormats.registry().available().containsAll(List.of("pth", "rwkv-cpp", "rwkv-edge", "safetensors")),
                WeightFormats.registry().available().toString());
        for (String name : List.of("pth", "rwkv-cpp", "rwkv-edge", "safetensors")) {
            WeightFormatProvider p = WeightFormats.registry().forName(name);
            assertTrue(p.canWrite(), name);
        }
    }

    @Test
    void detectionOpensEveryKindOfFixture() throws Exception {
        check(ReferenceModels.bin("6v0", "Q5_1"), "rwkv-cpp");
        check(ReferenceModels.pth("6v0", "bf16"), "pth");
        check(ReferenceModels.safetensors("6v0", "fp32"), "safetensors");
        check(Fixtures.require("models/hf-tiny-rwkv-4v0/model.safetensors"), "safetensors");
    }

    private static void check(Path p, String format) throws Exception {
        assertEquals(format, WeightFormats.detect(p).name(), p.toString());
        try (ModelWeights w = WeightFormats.open(p)) {
            assertEquals(format, w.format());
            assertTrue(w.contains("emb.weight"));
        }
    }
}
