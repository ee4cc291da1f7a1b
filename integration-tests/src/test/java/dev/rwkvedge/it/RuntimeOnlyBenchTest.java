package dev.rwkvedge.it;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.cli.Main;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rwkv-edge bench --runtime-only} on a container written by a pipeline with compressed operators: the child
 * JVM runs on exactly the thin jars the build copies to {@code rwkv-cli/target/runtime/} (none of which holds a
 * pipeline, compressor, CLI, Jackson, picocli or EJML class), with the vector backend and the requested heap bound,
 * and reports the same memory account as this process computes. (Runs after rwkv-cli's package phase.)
 */
class RuntimeOnlyBenchTest {
    private static final Path RUNTIME = Path.of("..", "rwkv-cli", "target", "runtime").toAbsolutePath().normalize();
    private static final List<String> FORBIDDEN = List.of("com/fasterxml/", "org/ejml/", "picocli/", "me/tongfei/",
            "dev/rwkvedge/pipeline/", "dev/rwkvedge/compress/", "dev/rwkvedge/cli/");

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void childOnThinJarsReportsTheAccountAndPeakRss() throws IOException {
        CompressedModels.write(dir);
        Path model = dir.resolve("model.rwkv-edge");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"bench", model.toString(), "--runtime-only", "--xmx", "96m", "--json",
                "--tokens", "4", "--prompt-tokens", "8", "--warmup", "2", "--prefill-runs", "1", "--triad-mib", "4",
                "--threads", "2", "--release-pages-every", "3"}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        Map<String, Object> o = Json.parseObject(out.toString().strip());

        assertEquals(true, o.get("runtime_only"));
        assertEquals(List.of("rwkv-api.jar", "rwkv-format.jar", "rwkv-runtime-vector.jar", "rwkv-runtime-scalar.jar"),
                o.get("child_classpath"));
        assertTrue(((List<Object>) o.get("child_jvm_options")).contains("-Xmx96m"), o.toString());
        assertTrue(((Number) o.get("heap_max_mb")).doubleValue() <= 96, o.toString());
        assertEquals("vector", o.get("backend"));
        assertEquals(2L, o.get("threads"));
        assertEquals(3L, o.get("release_pages_every"), "the child loaded with the release option");
        assertTrue(((Number) o.get("peak_rss_mb")).doubleValue() > 0);
        assertTrue(((Number) o.get("triad_gb_per_s")).doubleValue() > 0);

        Map<String, Object> memory = (Map<String, Object>) o.get("memory");
        Map<String, Object> comps = (Map<String, Object>) memory.get("components");
        for (String c : List.of("embedding", "channel-mix", "head")) {
            assertTrue(((Number) ((Map<String, Object>) comps.get(c)).get("on_demand_bytes")).longValue() > 0, c);
        }
        assertTrue(comps.containsKey("predictors"), comps.toString());
        try (ModelWeights w = WeightFormats.open(model, "auto");
             KernelBackend backend = KernelBackends.create("scalar", 1);
             RwkvModel m = RwkvModel.of(w, backend, false)) {
            assertEquals(m.memoryAccount().total().resident(), ((Number) o.get("resident_param_bytes")).longValue());
            assertEquals(m.memoryAccount().toMap().get("total"), Json.parse(Json.write(memory.get("total"))));
        }
    }

    @Test
    void thinJarsHoldNoPipelineCompressorOrCliClass() throws IOException {
        for (String jar : List.of("rwkv-api.jar", "rwkv-format.jar", "rwkv-runtime-vector.jar", "rwkv-runtime-scalar.jar")) {
            Path p = RUNTIME.resolve(jar);
            assertTrue(Files.isRegularFile(p), p + " missing: run the reactor through the package phase");
            List<String> bad = new ArrayList<>();
            int classes = 0;
            try (JarFile j = new JarFile(p.toFile())) {
                for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    classes += n.endsWith(".class") ? 1 : 0;
                    if (FORBIDDEN.stream().anyMatch(n::startsWith)) {
                        bad.add(n);
                    }
                }
            }
            assertTrue(classes > 0, jar + " has no classes");
            assertEquals(List.of(), bad, jar);
        }
        assertTrue(Files.isRegularFile(RUNTIME.resolve("rwkv-api.jar")));
        try (JarFile api = new JarFile(RUNTIME.resolve("rwkv-api.jar").toFile())) {
            assertTrue(api.getEntry("dev/rwkvedge/tools/Bench.class") != null, "the bench main lives in rwkv-api");
        }
    }
}
