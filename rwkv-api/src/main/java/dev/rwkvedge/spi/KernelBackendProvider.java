package dev.rwkvedge.spi;

/**
 * Factory of a {@link KernelBackend}. {@link #probe()} must not load classes that could fail to link (for
 * example incubator vector types) before it has checked that they are present.
 */
public interface KernelBackendProvider extends NamedProvider {
    /** Higher wins under {@code auto}. The scalar reference backend has priority 0. */
    int priority();

    Availability probe();

    /**
     * @param threads worker threads for parallel kernels; {@code 0} means the available processors
     */
    KernelBackend create(int threads);
}
