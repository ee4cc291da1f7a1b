package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.KernelBackendProvider;

/** Backend {@code scalar}: plain Java loops, always available, the numerical reference for other backends. */
public final class ScalarBackendProvider implements KernelBackendProvider {
    public static final String NAME = "scalar";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability probe() {
        return Availability.yes("plain Java, always available");
    }

    /** The scalar backend is single-threaded; {@code threads} is accepted for interface symmetry. */
    @Override
    public KernelBackend create(int threads) {
        return new ScalarBackend();
    }
}
