package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With {@code --add-modules jdk.incubator.vector}: the provider is supported and {@code auto} prefers it to scalar. */
class VectorSelectionTest {
    @Test
    void probeIsSupportedAndNamesTheShape() {
        Availability a = new VectorBackendProvider().probe();
        assertTrue(a.supported(), a.reason());
        assertTrue(a.reason().contains(VectorProbe.preferredBits() + "-bit"), a.reason());
    }

    @Test
    void autoPicksVector() {
        assertEquals("vector", KernelBackends.select("auto").name());
        assertTrue(KernelBackends.select("auto").priority() > KernelBackends.select("scalar").priority());
    }

    @Test
    void threadsDefaultToAvailableProcessors() {
        try (KernelBackend b = KernelBackends.create("vector", 0)) {
            assertEquals("vector", b.name());
            assertEquals(Runtime.getRuntime().availableProcessors(), b.threads());
        }
        try (KernelBackend b = KernelBackends.create("vector", 3)) {
            assertEquals(3, b.threads());
        }
        assertThrows(IllegalArgumentException.class, () -> new VectorBackendProvider().create(-1));
    }

    @Test
    void closeStopsTheWorkers() throws InterruptedException {
        VectorBackend b = new VectorBackend(3);
        Thread[] workers = b.pool().workers();
        assertEquals(2, workers.length);
        for (Thread t : workers) {
            assertTrue(t.isDaemon(), "workers must not keep the JVM alive");
        }
        b.close();
        for (Thread t : workers) {
            t.join(2000);
            assertTrue(!t.isAlive(), t.getName() + " still running after close()");
        }
    }
}
