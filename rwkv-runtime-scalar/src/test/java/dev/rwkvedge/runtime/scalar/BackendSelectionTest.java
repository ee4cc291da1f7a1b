package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.registry.KernelBackends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DESIGN §3: an explicit name never falls back; auto takes the best supported backend. */
class BackendSelectionTest {
    @Test
    void autoSkipsUnsupportedHigherPriority() {
        assertEquals("scalar", KernelBackends.select("auto").name());
    }

    @Test
    void explicitUnsupportedNameFailsWithReason() {
        RwkvException e = assertThrows(RwkvException.class, () -> KernelBackends.select("test-unavailable"));
        assertTrue(e.getMessage().contains("never runs"), e.getMessage());
    }

    @Test
    void unknownNameListsChoices() {
        RwkvException e = assertThrows(RwkvException.class, () -> KernelBackends.select("gpu"));
        assertTrue(e.getMessage().contains("scalar") && e.getMessage().contains("auto"), e.getMessage());
    }

    @Test
    void systemPropertyOverrides() {
        System.setProperty("rwkv.backend", "scalar");
        try {
            assertEquals("scalar", KernelBackends.select("test-unavailable").name());
        } finally {
            System.clearProperty("rwkv.backend");
        }
    }
}
