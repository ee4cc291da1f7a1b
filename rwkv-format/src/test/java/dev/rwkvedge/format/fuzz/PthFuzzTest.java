package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

/**
 * Fuzzes the torch zip reader and, through it, the restricted unpickler, with mutants of a real BF16 checkpoint:
 * zip local/central/end records and their size, offset and count fields, the bytes of {@code data.pkl} (opcodes and
 * their length arguments; CRCs are not checked, so these edits reach the unpickler), and removed or duplicated
 * zip entries. {@code dev.rwkvedge.format.pth.UnpicklerFuzzTest} fuzzes the pickle alone, including length changes.
 */
class PthFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantOpensOrFailsWithWeightFormatException() throws Exception {
        WeightFuzz.run(new PthFormatProvider(), dir, ".pth", List.of(
                Fixtures.require("models/pth/tiny-rwkv-4v0-bf16.pth")), FormatLayouts::zip);
    }
}
