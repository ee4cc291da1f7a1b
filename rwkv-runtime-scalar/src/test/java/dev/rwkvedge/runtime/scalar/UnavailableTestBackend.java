package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.KernelBackendProvider;

/** A test-only backend with a high priority that is never supported, to check selection rules. */
public final class UnavailableTestBackend implements KernelBackendProvider {
    @Override
    public String name() {
        return "test-unavailable";
    }

    @Override
    public int priority() {
        return 1000;
    }

    @Override
    public Availability probe() {
        return Availability.no("this test backend never runs");
    }

    @Override
    public KernelBackend create(int threads) {
        throw new AssertionError("must not be created");
    }
}
