package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Fuzzes the rwkv.cpp reader with mutants of a real FP16 (v4) and a real Q5_1 (v5.1) model: header fields, record
 * dims/key lengths/type codes/shapes, truncations and duplicated or removed tensor records.
 */
class RwkvCppFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantOpensOrFailsWithWeightFormatException() throws Exception {
        WeightFuzz.run(new RwkvCppFormatProvider(), dir, ".bin", List.of(
                Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP16.bin"),
                Fixtures.require("models/tiny/tiny-rwkv-5v1-730K-Q5_1.bin")), FormatLayouts::rwkvCpp);
    }
}
