package dev.rwkvedge.it;

import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineRunner;
import dev.rwkvedge.pipeline.ProgressListener;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A production app whose classpath holds only rwkv-api, rwkv-format and a runtime jar loads a model written by a
 * pipeline and generates text, and no compressor, pipeline, Jackson or EJML class is loadable there.
 */
class RuntimeOnlyAppTest {
    private static final String APP = """
            import dev.rwkvedge.*;
            import dev.rwkvedge.generate.*;
            import dev.rwkvedge.sampling.*;
            import dev.rwkvedge.tokenizer.ByteTokenizer;
            import java.nio.file.Path;
            import java.util.ServiceLoader;

            public class App {
                public static void main(String[] args) throws Exception {
                    try (RwkvModel m = Rwkv.load(Path.of(args[0]))) {
                        var opts = SamplerOptions.defaults().withTemperature(0).withMaxTokens(24);
                        var r = new Generator(m.newSession(), new ByteTokenizer(), new Sampler(opts)).generate("The ", t -> { });
                        System.out.println("TEXT:" + r.text());
                        System.out.println("BACKEND:" + m.backend().name());
                    }
                    for (String c : new String[] {"com.fasterxml.jackson.core.JsonFactory", "org.ejml.data.DMatrixRMaj",
                            "dev.rwkvedge.pipeline.PipelineRunner", "picocli.CommandLine"}) {
                        try {
                            Class.forName(c);
                            System.out.println("LOADABLE:" + c);
                        } catch (ClassNotFoundException expected) {
                            System.out.println("ABSENT:" + c);
                        }
                    }
                    System.out.println("COMPRESSORS:" + ServiceLoader.load(dev.rwkvedge.spi.CompressorProvider.class).stream().count());
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void runtimeJarsAloneServeAPipelineModel() throws Exception {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP32.bin");
        Path yaml = dir.resolve("p.yaml");
        Files.writeString(yaml, "model: " + model + "\nbackend: scalar\noutput: model.rwkv-edge\n");
        PipelineRunner.run(DescriptorParser.parse(yaml), ProgressListener.silent());

        Path src = dir.resolve("App.java");
        Files.writeString(src, APP);
        List<String> runtime = List.of(Classpath.module("rwkv-api"), Classpath.module("rwkv-format"),
                Classpath.module("rwkv-runtime-scalar"));
        Path classes = dir.resolve("app");
        Files.createDirectories(classes);
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp", Classpath.module("rwkv-api"),
                "-d", classes.toString(), src.toString()));
        List<String> cp = new java.util.ArrayList<>(runtime);
        cp.add(classes.toString());
        Classpath.Result r = Classpath.run(cp, "App", dir, dir.resolve("model.rwkv-edge").toString());
        assertEquals(0, r.code(), r.err());
        // rwkv.cpp's greedy continuation of "The " for this model begins "the the the".
        assertTrue(r.out().contains("TEXT:the the the"), r.out());
        for (String c : List.of("com.fasterxml.jackson.core.JsonFactory", "org.ejml.data.DMatrixRMaj",
                "dev.rwkvedge.pipeline.PipelineRunner", "picocli.CommandLine")) {
            assertTrue(r.out().contains("ABSENT:" + c), c + " must not be loadable: " + r.out());
        }
        assertTrue(r.out().contains("COMPRESSORS:0"), r.out());
    }
}
