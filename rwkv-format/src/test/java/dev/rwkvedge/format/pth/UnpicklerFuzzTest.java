package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.pth.PickleValues.Storage;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;

/**
 * Fuzzes the restricted unpickler alone, with mutants of the real {@code data.pkl} of a BF16 checkpoint. Unlike
 * {@code PthFuzzTest}, which must keep the zip's sizes intact, this also inserts, deletes and truncates bytes, so
 * opcodes lose or gain arguments, lengths point past the end, marks and memo references go astray. Storages
 * resolve to a zero-filled segment of the requested size (capped), so tensor rebuilds run too.
 */
class UnpicklerFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantLoadsOrFailsWithWeightFormatException() throws Exception {
        byte[] pickle;
        try (ZipFile zip = new ZipFile(Fixtures.require("models/pth/tiny-rwkv-4v0-bf16.pth").toFile())) {
            pickle = zip.getInputStream(zip.getEntry("rwkv-final/data.pkl")).readAllBytes();
        }
        MemorySegment storage = MemorySegment.ofArray(new byte[1 << 16]);
        Unpickler.StorageResolver resolver = (key, type, numel, at) -> new Storage(key, type, numel,
                storage.asSlice(0, numel < 0 || numel > storage.byteSize() ? storage.byteSize()
                        : Math.min(storage.byteSize(), numel * type.elementBytes())), 0);
        try (FuzzHarness h = new FuzzHarness("unpickler", dir, ".pkl", file -> new Unpickler(file, "data.pkl", 0,
                MemorySegment.ofArray(Files.readAllBytes(file)), resolver).load(), WeightFormatException.class)) {
            FuzzHarness.Report report = h.run(List.of(pickle), List.of(FuzzLayout.whole(pickle.length)), new Mutator(),
                    FuzzHarness.iterations());
            FuzzHarness.assertClean(report);
        }
    }
}
