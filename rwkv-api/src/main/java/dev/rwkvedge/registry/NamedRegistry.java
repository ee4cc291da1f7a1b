package dev.rwkvedge.registry;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.NamedProvider;

import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Providers of one kind found through {@link ServiceLoader} and looked up by name, after Lucene's
 * {@code NamedSPILoader}: names are validated, two different classes claiming one name is an error naming both
 * jars, and an unknown name is an error listing what is available.
 *
 * @param <P> the provider type
 */
public final class NamedRegistry<P extends NamedProvider> {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private final Class<P> type;
    private final String kind;
    private volatile Map<String, P> providers;

    /**
     * @param kind a word for error messages, e.g. "backend", "format", "compressor"
     */
    public NamedRegistry(Class<P> type, String kind, ClassLoader loader) {
        this.type = Objects.requireNonNull(type);
        this.kind = Objects.requireNonNull(kind);
        this.providers = load(loader);
    }

    /** Whether {@code name} is a valid provider name. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Reloads from {@code loader} (for example a child loader over a plugin folder). Providers visible through it
     * replace the current set; the lookup stays consistent if this throws.
     */
    public synchronized void reload(ClassLoader loader) {
        providers = load(loader);
    }

    private Map<String, P> load(ClassLoader loader) {
        Map<String, P> found = new TreeMap<>();
        ServiceLoader<P> sl = ServiceLoader.load(type, loader);
        try {
            for (P p : sl) {
                String name = p.name();
                if (!isValidName(name)) {
                    throw new RwkvException(kind + " provider " + p.getClass().getName() + " in " + jarOf(p.getClass())
                            + " has invalid name '" + name + "': names must match " + NAME.pattern());
                }
                P prev = found.get(name);
                if (prev != null && prev.getClass() != p.getClass()) {
                    throw new RwkvException("two " + kind + " providers claim the name '" + name + "': "
                            + prev.getClass().getName() + " in " + jarOf(prev.getClass()) + " and "
                            + p.getClass().getName() + " in " + jarOf(p.getClass()) + "; remove one of the jars");
                }
                found.putIfAbsent(name, p);
            }
        } catch (ServiceConfigurationError e) {
            throw new RwkvException("cannot load " + kind + " providers: " + e.getMessage(), e);
        }
        return Collections.unmodifiableMap(found);
    }

    /** The location (jar or class folder) a class was loaded from, for messages and {@code rwkv-edge plugins}. */
    public static String jarOf(Class<?> c) {
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        URL url = cs == null ? null : cs.getLocation();
        return url == null ? "(unknown location)" : url.getPath();
    }

    /** Provider names in sorted order. */
    public List<String> available() {
        return List.copyOf(providers.keySet());
    }

    /** Every provider, sorted by name. */
    public List<P> all() {
        return new ArrayList<>(providers.values());
    }

    public boolean exists(String name) {
        return providers.containsKey(name);
    }

    /**
     * @throws RwkvException if no provider has that name; the message lists the available ones
     */
    public P forName(String name) {
        P p = providers.get(name);
        if (p == null) {
            throw new RwkvException("unknown " + kind + " '" + name + "'; available: "
                    + (providers.isEmpty() ? "(none)" : String.join(", ", providers.keySet())));
        }
        return p;
    }

    public String kind() {
        return kind;
    }
}
