package dev.rwkvedge.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptorParserTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path p = dir.resolve("pipeline.yaml");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void validDescriptor() throws IOException {
        Files.writeString(dir.resolve("calib.txt"), "hello world, some calibration text");
        Path p = yaml("""
                model:
                  synthetic: {version: v5.2, layers: 2, embd: 64, vocab: 256, seed: 3}
                backend: scalar
                calibration: {text: calib.txt, tokens: 100}
                steps:
                  - test-scale: {factor: 0.5}
                output: out/model.rwkv-edge
                eval: {text: calib.txt, reference: true}
                """);
        Descriptor d = DescriptorParser.parse(p);
        assertInstanceOf(Descriptor.SyntheticModelSource.class, d.model());
        assertEquals(1, d.steps().size());
        assertEquals("test-scale", d.steps().get(0).name());
        assertEquals(dir.resolve("out/model.rwkv-edge"), d.output().path());
        assertEquals(dir.resolve("out/report.html"), d.report());
        assertEquals(100, d.calibration().tokens());
    }

    @Test
    void fiveMistakesAreAllReportedWithLineNumbers() throws IOException {
        Path p = yaml("""
                model:
                  path: does-not-exist.bin
                backend: quantum
                steps:
                  - test-scale: {factor: -1}
                  - no-such-compressor: {x: 1}
                output: {path: out.bin, colour: blue}
                threads: many
                """);
        PipelineException e = assertThrows(PipelineException.class, () -> DescriptorParser.parse(p));
        List<Problem> probs = e.problems();
        assertEquals(6, probs.size(), e.getMessage());
        assertTrue(has(probs, 2, "does not exist"), e.getMessage());
        assertTrue(has(probs, 3, "unknown backend 'quantum'") && has(probs, 3, "scalar"), e.getMessage());
        assertTrue(has(probs, 5, "factor"), e.getMessage());
        assertTrue(has(probs, 6, "unknown compressor 'no-such-compressor'") && has(probs, 6, "test-scale"), e.getMessage());
        assertTrue(has(probs, 7, "unknown key 'colour'"), e.getMessage());
        assertTrue(has(probs, 8, "threads must be a whole number"), e.getMessage());
        assertTrue(e.getMessage().contains("pipeline.yaml:3:"), e.getMessage());
    }

    @Test
    void syntaxErrorsHaveLocations() throws IOException {
        Path p = yaml("model: [unclosed\noutput: x\n");
        PipelineException e = assertThrows(PipelineException.class, () -> DescriptorParser.parse(p));
        assertTrue(e.problems().get(0).message().startsWith("YAML syntax"), e.getMessage());
    }

    @Test
    void missingModelAndOutput() throws IOException {
        Path p = yaml("steps: []\nseed: 4\n");
        PipelineException e = assertThrows(PipelineException.class, () -> DescriptorParser.parse(p));
        assertTrue(e.getMessage().contains("missing 'model:'") && e.getMessage().contains("missing 'output:'"), e.getMessage());
    }

    @Test
    void duplicateKeys() throws IOException {
        Path p = yaml("model: a\nmodel: b\noutput: x\n");
        PipelineException e = assertThrows(PipelineException.class, () -> DescriptorParser.parse(p));
        assertTrue(has(e.problems(), 2, "duplicate key 'model'"), e.getMessage());
    }

    private static boolean has(List<Problem> probs, int line, String fragment) {
        return probs.stream().anyMatch(pr -> pr.line() == line && pr.message().contains(fragment));
    }
}
