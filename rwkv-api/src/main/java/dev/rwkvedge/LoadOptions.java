package dev.rwkvedge;

import dev.rwkvedge.registry.KernelBackends;

/**
 * How to load a model.
 *
 * @param format            a format name, or {@code auto} to sniff the file
 * @param backend           a backend name, or {@code auto}
 * @param threads           worker threads for the backend; 0 = available processors
 * @param releasePagesEvery drop the mapped pages of the on-demand tensors (predicted-sparse FFN rows, clustered head
 *                          rows) from the process's resident set every this many evaluated tokens, per session;
 *                          0 = never. Bounds the RSS of a compressed model at the cost of refaulting the pages
 *                          (see {@code dev.rwkvedge.io.PageRelease}).
 */
public record LoadOptions(String format, String backend, int threads, int releasePagesEvery) {
    /** System property giving {@link #releasePagesEvery} when the options do not name it. */
    public static final String RELEASE_PAGES_PROPERTY = "rwkv.release-pages-every";

    public LoadOptions {
        if (releasePagesEvery < 0) {
            throw new IllegalArgumentException("release-pages-every must be 0 (off) or a positive token count, got "
                    + releasePagesEvery);
        }
    }

    /** Options with {@link #releasePagesEvery} from system property {@value #RELEASE_PAGES_PROPERTY} (default 0). */
    public LoadOptions(String format, String backend, int threads) {
        this(format, backend, threads, releasePagesFromProperty());
    }

    public static LoadOptions defaults() {
        return new LoadOptions("auto", KernelBackends.AUTO, 0);
    }

    public LoadOptions withBackend(String name) {
        return new LoadOptions(format, name, threads, releasePagesEvery);
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(format, backend, n, releasePagesEvery);
    }

    public LoadOptions withFormat(String name) {
        return new LoadOptions(name, backend, threads, releasePagesEvery);
    }

    public LoadOptions withReleasePagesEvery(int tokens) {
        return new LoadOptions(format, backend, threads, tokens);
    }

    private static int releasePagesFromProperty() {
        String v = System.getProperty(RELEASE_PAGES_PROPERTY);
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + RELEASE_PAGES_PROPERTY + "=" + v
                + ": expected 0 (off) or a positive token count");
    }
}
