package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.format.safetensors.SafetensorsFormatProvider;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Fuzzes the safetensors reader with mutants of a real BF16 BlinkDL file and the F32 HF-layout file: the u64
 * header length (huge, negative, off by one), bytes of the JSON header, and JSON-level edits with a consistent
 * length (removed/duplicated entries, boundary numbers in shapes and offsets, other dtypes).
 */
class SafetensorsFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantOpensOrFailsWithWeightFormatException() throws Exception {
        WeightFuzz.run(new SafetensorsFormatProvider(), dir, ".safetensors", List.of(
                Fixtures.require("models/safetensors/tiny-rwkv-4v0-bf16.safetensors"),
                Fixtures.require("models/hf-tiny-rwkv-4v0/model.safetensors")),
                FormatLayouts::safetensors, new SafetensorsHeaderMutation());
    }
}
