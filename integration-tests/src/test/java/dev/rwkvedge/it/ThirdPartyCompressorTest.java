package dev.rwkvedge.it;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A third party's compressor, compiled here against the rwkv-api jar only and packed with its
 * {@code META-INF/services} entry, is named in a pipeline and runs: once from the classpath, once from
 * {@code --plugins DIR}. Its effect (ln_out.weight scaled by the factor) is checked on the written model.
 */
class ThirdPartyCompressorTest {
    private static final String SOURCE = """
            package com.acme.rwkv;

            import dev.rwkvedge.model.ModelWeights;
            import dev.rwkvedge.spi.*;
            import dev.rwkvedge.tensor.Tensor;

            public final class AcmeScale implements CompressorProvider {
                @Override public String name() { return "acme-scale"; }
                @Override public String version() { return "9.9"; }
                @Override public Compressor create(Params p) {
                    double factor = p.getDouble("factor", 2.0);
                    p.requireAllConsumed();
                    return (ModelWeights w, CompressionContext ctx) -> {
                        float[] v = w.get("ln_out.weight").toFloatArray();
                        for (int i = 0; i < v.length; i++) v[i] *= (float) factor;
                        return new CompressionResult(
                                w.toBuilder().put(Tensor.ofFloats("ln_out.weight", v, w.get("ln_out.weight").shape())).build(),
                                new CompressionReport(name()).metric("factor", factor));
                    };
                }
            }
            """;

    @TempDir
    static Path work;
    static Path pluginDir;
    static Path jar;

    @BeforeAll
    static void buildPluginJar() throws IOException {
        Path src = work.resolve("src/com/acme/rwkv/AcmeScale.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE);
        Path classes = work.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-cp", Classpath.module("rwkv-api"), "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "the plugin compiles against rwkv-api alone");
        pluginDir = work.resolve("plugins");
        Files.createDirectories(pluginDir);
        jar = pluginDir.resolve("acme-scale.jar");
        try (OutputStream fo = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(fo)) {
            j.putNextEntry(new JarEntry("META-INF/services/dev.rwkvedge.spi.CompressorProvider"));
            j.write("com.acme.rwkv.AcmeScale\n".getBytes(StandardCharsets.UTF_8));
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path c : s.filter(Files::isRegularFile).toList()) {
                    j.putNextEntry(new JarEntry(classes.relativize(c).toString().replace('\\', '/')));
                    j.write(Files.readAllBytes(c));
                }
            }
        }
    }

    private static Path pipeline(Path dir, double factor) throws IOException {
        Files.createDirectories(dir);
        Path model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin");
        Path p = dir.resolve("pipeline.yaml");
        Files.writeString(p, """
                model: %s
                backend: scalar
                steps:
                  - acme-scale: {factor: %s}
                output: out/model.rwkv-edge
                """.formatted(model, factor));
        return p;
    }

    private static void assertScaled(Path dir, double factor) throws IOException {
        try (ModelWeights orig = WeightFormats.open(Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin"));
             ModelWeights out = WeightFormats.open(dir.resolve("out/model.rwkv-edge"))) {
            float[] a = orig.get("ln_out.weight").toFloatArray();
            float[] b = out.get("ln_out.weight").toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] * (float) factor, b[i], 0f, "ln_out.weight[" + i + "]");
            }
            assertTrue(Files.exists(dir.resolve("out/report.html")) && Files.exists(dir.resolve("out/report.json")));
        }
    }

    @Test
    void fromTheClasspath() throws Exception {
        Path dir = work.resolve("cp");
        Path p = pipeline(dir, 3.0);
        List<String> cp = new ArrayList<>(Classpath.entries());
        cp.add(jar.toString());
        Classpath.Result r = Classpath.run(cp, "dev.rwkvedge.cli.Main", dir, "compress", p.toString());
        assertEquals(0, r.code(), r.err());
        assertScaled(dir, 3.0);
        Classpath.Result plugins = Classpath.run(cp, "dev.rwkvedge.cli.Main", dir, "plugins");
        assertTrue(plugins.out().matches("(?s).*compressor\\s+acme-scale\\s+9\\.9.*acme-scale\\.jar.*"), plugins.out());
    }

    @Test
    void fromAPluginFolder() throws Exception {
        Path dir = work.resolve("folder");
        Path p = pipeline(dir, 0.5);
        Classpath.Result r = Classpath.run(Classpath.entries(), "dev.rwkvedge.cli.Main", dir, "compress", p.toString(),
                "--plugins", pluginDir.toString());
        assertEquals(0, r.code(), r.err());
        assertScaled(dir, 0.5);
        Classpath.Result without = Classpath.run(Classpath.entries(), "dev.rwkvedge.cli.Main", dir, "compress", p.toString());
        assertEquals(2, without.code());
        assertTrue(without.err().contains("unknown compressor 'acme-scale'"), without.err());
    }

    @Test
    void twoJarsClaimingOneNameAreNamed() throws Exception {
        Path dir = work.resolve("dup");
        Path p = pipeline(dir, 2.0);
        Path other = work.resolve("other");
        Files.createDirectories(other);
        // The same provider class under another jar name is one class, not a conflict; a different class is.
        Path src = work.resolve("src2/com/acme/rwkv2/AcmeScale.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE.replace("package com.acme.rwkv;", "package com.acme.rwkv2;"));
        Path classes = work.resolve("classes2");
        Files.createDirectories(classes);
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", Classpath.module("rwkv-api"),
                "-d", classes.toString(), src.toString()));
        Path jar2 = other.resolve("impostor.jar");
        try (OutputStream fo = Files.newOutputStream(jar2); JarOutputStream j = new JarOutputStream(fo)) {
            j.putNextEntry(new JarEntry("META-INF/services/dev.rwkvedge.spi.CompressorProvider"));
            j.write("com.acme.rwkv2.AcmeScale\n".getBytes(StandardCharsets.UTF_8));
            j.putNextEntry(new JarEntry("com/acme/rwkv2/AcmeScale.class"));
            j.write(Files.readAllBytes(classes.resolve("com/acme/rwkv2/AcmeScale.class")));
        }
        List<String> cp = new ArrayList<>(Classpath.entries());
        cp.add(jar.toString());
        Classpath.Result r = Classpath.run(cp, "dev.rwkvedge.cli.Main", dir, "compress", p.toString(),
                "--plugins", other.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("acme-scale.jar") && r.err().contains("impostor.jar"), r.err());
    }
}
