package dev.rwkvedge.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared test data (models, reference logits, tokenizers, corpus) through the system property
 * {@code rwkv.fixtures} (default {@code ../shared}). When it is missing, a test that needs it fails if the
 * environment variable {@code CI} is set, and is skipped with a clear message otherwise.
 */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path root() {
        return Path.of(System.getProperty("rwkv.fixtures", "../shared")).toAbsolutePath().normalize();
    }

    /** The fixture at {@code relative} below the root; fails (CI) or skips (otherwise) when it is absent. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "test data " + p + " not found; set -Drwkv.fixtures=/path/to/shared (default ../shared)";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
                throw new AssertionError(msg);
            }
            Assumptions.abort(msg);
        }
        return p;
    }
}
