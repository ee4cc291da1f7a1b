package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the tests that hold the vector backend against the scalar reference: the {@code scalar} backend and
 * {@code vector} backends on 1, 2 and 3 threads, each sending every product to its worker pool (no minimum size) in
 * the smallest grains (one row, or one unit of columns, per claim), so that the split and the pool run even for the
 * small matrices of a test. Opened once per test class.
 */
abstract class ScalarAndVector {
    static KernelBackend scalar;
    static VectorBackend vector1;
    static VectorBackend vector2;
    static VectorBackend vector3;

    @BeforeAll
    static void openBackends() {
        scalar = KernelBackends.create("scalar", 1);
        vector1 = new VectorBackend(1, 0, 1);
        vector2 = new VectorBackend(2, 0, 1);
        vector3 = new VectorBackend(3, 0, 1);
    }

    @AfterAll
    static void closeBackends() {
        scalar.close();
        vector1.close();
        vector2.close();
        vector3.close();
    }
}
