package dev.rwkvedge;

import dev.rwkvedge.registry.KernelBackends;

/**
 * How to load a model.
 *
 * @param format  a format name, or {@code auto} to sniff the file
 * @param backend a backend name, or {@code auto}
 * @param threads worker threads for the backend; 0 = available processors
 */
public record LoadOptions(String format, String backend, int threads) {
    public static LoadOptions defaults() {
        return new LoadOptions("auto", KernelBackends.AUTO, 0);
    }

    public LoadOptions withBackend(String name) {
        return new LoadOptions(format, name, threads);
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(format, backend, n);
    }

    public LoadOptions withFormat(String name) {
        return new LoadOptions(name, backend, threads);
    }
}
