package dev.rwkvedge.pipeline.fuzz;

import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineException;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the pipeline descriptor parser with mutants of the shipped examples (their data paths pointed at the
 * shared fixtures, so validation goes past "file not found") and of a descriptor with a compressor step: byte-level
 * mutations (which also produce invalid UTF-8) and {@link YamlMutation}s. The only allowed failure is a
 * {@link PipelineException}.
 */
class DescriptorFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantParsesOrFailsWithPipelineException() throws Exception {
        String shared = Fixtures.root().toString().replace('\\', '/');
        Files.writeString(dir.resolve("calib.txt"), "hello world, some calibration text");
        List<byte[]> seeds = new ArrayList<>();
        // demo.yaml names compressors that live in other modules (not on this module's test classpath); tiny-v7.yaml
        // and the descriptor below cover every top-level key.
        for (String example : List.of("tiny-v7.yaml")) {
            String text = Files.readString(Path.of("..", "examples", example)).replace("../../shared", shared);
            seeds.add(text.getBytes(StandardCharsets.UTF_8));
        }
        seeds.add("""
                model:
                  synthetic: {version: v5.2, layers: 2, embd: 64, vocab: 256, seed: 3}
                backend: scalar
                calibration: {text: calib.txt, tokens: 100}
                steps:
                  - test-scale: {factor: 0.5}
                output: out/model.rwkv-edge
                eval: {text: calib.txt, reference: true}
                """.getBytes(StandardCharsets.UTF_8));
        List<FuzzLayout> layouts = seeds.stream().map(s -> FuzzLayout.whole(s.length)).toList();
        try (FuzzHarness h = new FuzzHarness("yaml descriptor", dir, ".yaml", DescriptorParser::parse,
                PipelineException.class)) {
            FuzzHarness.Report report = h.run(seeds, layouts, new Mutator(new YamlMutation()),
                    Math.max(1, FuzzHarness.iterations() / seeds.size()));
            FuzzHarness.assertClean(report);
        }
    }
}
