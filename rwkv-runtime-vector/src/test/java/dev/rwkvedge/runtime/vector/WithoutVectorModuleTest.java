package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.Availability;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in its own surefire execution WITHOUT {@code --add-modules jdk.incubator.vector} (see this module's POM):
 * the provider loads and probes without touching incubator types, {@code auto} falls back to scalar, and an
 * explicit {@code vector} is an error that says how to enable it.
 */
class WithoutVectorModuleTest {
    @BeforeAll
    static void moduleIsAbsent() {
        assertTrue(Boolean.getBoolean("rwkv.test.withoutVectorModule"),
                "this test belongs to the 'without-vector-module' surefire execution");
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty(),
                "the without-vector-module execution must not add jdk.incubator.vector");
    }

    @Test
    void probeSaysHowToEnable() {
        Availability a = new VectorBackendProvider().probe();
        assertFalse(a.supported());
        assertTrue(a.reason().contains("--add-modules jdk.incubator.vector"), a.reason());
    }

    @Test
    void autoFallsBackToScalar() {
        assertEquals("scalar", KernelBackends.select("auto").name());
    }

    @Test
    void explicitVectorIsAnErrorWithTheHint() {
        RwkvException e = assertThrows(RwkvException.class, () -> KernelBackends.select("vector"));
        assertTrue(e.getMessage().contains("--add-modules jdk.incubator.vector"), e.getMessage());
        RwkvException c = assertThrows(RwkvException.class, () -> new VectorBackendProvider().create(1));
        assertTrue(c.getMessage().contains("--add-modules jdk.incubator.vector"), c.getMessage());
    }
}
