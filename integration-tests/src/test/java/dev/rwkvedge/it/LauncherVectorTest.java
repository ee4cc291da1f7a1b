package dev.rwkvedge.it;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped launcher and shaded jar: {@code bin/rwkv-edge} passes {@code --add-modules jdk.incubator.vector}, the
 * jar contains the vector backend, so {@code auto} runs on it. (Runs after rwkv-cli's package phase in the reactor.)
 */
class LauncherVectorTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private record Run(int code, String out, String err) {
    }

    private static Run launch(String... args) throws IOException, InterruptedException {
        Path jar = ROOT.resolve("rwkv-cli/target/rwkv-edge.jar");
        assertTrue(Files.exists(jar), jar + " missing: run the reactor through the package phase (./mvnw verify)");
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("bin/rwkv-edge").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "launcher timed out");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void pluginsShowVectorAvailable() throws Exception {
        Run r = launch("plugins");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*backend\\s+vector\\s+\\S+\\s+available.*"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchRunsOnTheVectorBackend() throws Exception {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-Q5_1.bin");
        Run r = launch("bench", model.toString(), "--tokens", "2", "--prompt-tokens", "4", "--warmup", "1",
                "--prefill-runs", "1", "--triad-mib", "2", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        assertEquals("vector", o.get("backend"));
        assertEquals(2L, o.get("threads"));
    }
}
