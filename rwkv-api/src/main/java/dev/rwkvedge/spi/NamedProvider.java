package dev.rwkvedge.spi;

/**
 * A provider found by name through {@link java.util.ServiceLoader}. Names match {@code [a-z][a-z0-9-]{0,62}}
 * and are unique per kind (checked by {@link dev.rwkvedge.registry.NamedRegistry}).
 */
public interface NamedProvider {
    /** The name users write on the command line and in YAML, e.g. {@code scalar} or {@code rwkv-cpp}. */
    String name();

    /** The provider's own version, shown by {@code rwkv-edge plugins} and recorded in manifests. */
    default String version() {
        Package p = getClass().getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
