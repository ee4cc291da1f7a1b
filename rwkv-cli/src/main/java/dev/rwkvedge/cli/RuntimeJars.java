package dev.rwkvedge.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The thin jars a production app needs (DESIGN.md §1: api, format and a runtime), which the build copies beside the
 * shaded CLI jar into {@code rwkv-cli/target/runtime/}: the classpath of {@code bench --runtime-only}'s child JVM.
 * Found from the system property {@value #PROPERTY}, else the environment variable {@value #ENV}, else the folder
 * {@code runtime/} beside the jar (or class folder) this class was loaded from; never from {@code ~/.m2}.
 */
final class RuntimeJars {
    static final String PROPERTY = "rwkv.runtime.dir";
    static final String ENV = "RWKV_EDGE_RUNTIME";
    /** rwkv-runtime-scalar is the fallback when the vector module is unavailable (as for {@code auto}). */
    static final List<String> JARS = List.of("rwkv-api.jar", "rwkv-format.jar", "rwkv-runtime-vector.jar",
            "rwkv-runtime-scalar.jar");

    private RuntimeJars() {
    }

    static Path folder() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENV);
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        try {
            Path self = Path.of(RuntimeJars.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return self.getParent().resolve("runtime");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("runtime");
        }
    }

    /**
     * @throws IllegalArgumentException naming the folder and how to fill it when a jar is missing
     */
    static List<Path> classpath() {
        Path dir = folder();
        List<Path> out = new ArrayList<>();
        for (String j : JARS) {
            Path p = dir.resolve(j);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--runtime-only needs the thin runtime jars, but " + p + " is missing; "
                        + "build them with ./mvnw package (copied to rwkv-cli/target/runtime/), or point -D" + PROPERTY
                        + " or " + ENV + " at a folder holding " + String.join(", ", JARS));
            }
            out.add(p.toAbsolutePath());
        }
        return out;
    }
}
