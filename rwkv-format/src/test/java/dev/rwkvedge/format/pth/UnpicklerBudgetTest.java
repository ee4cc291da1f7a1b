package dev.rwkvedge.format.pth;

import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression test for a directed follow-up of {@link UnpicklerFuzzTest}: a 1 MB pickle of nothing but
 * object-creating opcodes ({@code MEMOIZE} after an empty dict, or {@code EMPTY_LIST}) allocated 74 MB of heap (and
 * took 1.9 s) within the stack and memo caps. Now the object budget, set from the file size as
 * {@code PthFormatProvider} sets it (here the pickle is the whole file), stops it within the fuzz contract.
 */
class UnpicklerBudgetTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {0x94, ']'})
    void aPickleOfOnlyObjectCreatingOpcodesStaysWithinTheHeapBound(int opcode) throws Exception {
        int n = 1_000_000;
        byte[] pickle = new byte[n + 4];
        pickle[0] = (byte) 0x80;
        pickle[1] = 4;
        pickle[2] = '}';
        java.util.Arrays.fill(pickle, 3, n + 3, (byte) opcode);
        pickle[n + 3] = '.';
        try (FuzzHarness h = new FuzzHarness("unpickler", dir, ".pkl", file -> new Unpickler(file, "data.pkl", 0,
                MemorySegment.ofArray(Files.readAllBytes(file)), (key, type, numel, at) -> null, Files.size(file)).load(),
                WeightFormatException.class)) {
            h.warmUp(pickle);
            String outcome = h.check(pickle);
            assertNotNull(outcome, "must not load");
            assertTrue(outcome.startsWith("rejected: ") && outcome.contains("objects"), outcome);
        }
    }
}
