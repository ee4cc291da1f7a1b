package dev.rwkvedge.registry;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.KernelBackendProvider;

import java.util.Comparator;
import java.util.List;

/**
 * Chooses a {@link KernelBackend}. An explicitly named backend never falls back silently (as SLF4J 2 with a named
 * provider): if it is missing or unsupported here, selection fails and says why. {@code auto} takes the
 * highest-priority supported backend and logs its choice and why the others were rejected. The system property
 * {@code rwkv.backend} overrides the requested name.
 */
public final class KernelBackends {
    public static final String AUTO = "auto";
    private static final System.Logger LOG = System.getLogger(KernelBackends.class.getName());
    private static final NamedRegistry<KernelBackendProvider> REGISTRY =
            new NamedRegistry<>(KernelBackendProvider.class, "backend", KernelBackends.class.getClassLoader());

    private KernelBackends() {
    }

    public static NamedRegistry<KernelBackendProvider> registry() {
        return REGISTRY;
    }

    /** {@code auto} plus every registered name. */
    public static List<String> choices() {
        var l = new java.util.ArrayList<String>();
        l.add(AUTO);
        l.addAll(REGISTRY.available());
        return l;
    }

    /** Resolves {@code name} (or {@code auto}, or the {@code rwkv.backend} property when set) to a provider. */
    public static KernelBackendProvider select(String name) {
        String requested = System.getProperty("rwkv.backend");
        if (requested == null || requested.isBlank()) {
            requested = name == null ? AUTO : name;
        }
        if (!AUTO.equals(requested)) {
            KernelBackendProvider p;
            try {
                p = REGISTRY.forName(requested);
            } catch (RwkvException e) {
                throw new RwkvException(e.getMessage() + ", auto");
            }
            Availability a = p.probe();
            if (!a.supported()) {
                throw new RwkvException("backend '" + requested + "' is not usable here: " + a.reason());
            }
            return p;
        }
        StringBuilder rejected = new StringBuilder();
        KernelBackendProvider best = null;
        String bestReason = "";
        for (KernelBackendProvider p : REGISTRY.all().stream()
                .sorted(Comparator.comparingInt(KernelBackendProvider::priority).reversed()).toList()) {
            Availability a = p.probe();
            if (a.supported() && best == null) {
                best = p;
                bestReason = a.reason();
            } else if (!a.supported()) {
                rejected.append("; ").append(p.name()).append(" rejected: ").append(a.reason());
            }
        }
        if (best == null) {
            throw new RwkvException("no kernel backend is usable" + rejected + "; add rwkv-runtime-scalar to the classpath");
        }
        LOG.log(System.Logger.Level.INFO, "backend auto -> " + best.name() + " (" + bestReason + ")" + rejected);
        return best;
    }

    public static KernelBackend create(String name, int threads) {
        return select(name).create(threads);
    }
}
