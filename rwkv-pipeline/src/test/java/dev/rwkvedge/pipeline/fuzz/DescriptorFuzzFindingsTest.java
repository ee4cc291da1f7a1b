package dev.rwkvedge.pipeline.fuzz;

import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineException;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression tests for the descriptor-parser failures {@link DescriptorFuzzTest} found, each from a generated input
 * of the failing kind, checked against the full fuzz contract (PipelineException with a message, heap at most the
 * input's size plus 1 MiB, under a second).
 */
class DescriptorFuzzFindingsTest {
    @TempDir
    Path dir;

    private String outcome(byte[] input) throws Exception {
        try (FuzzHarness h = new FuzzHarness("yaml descriptor", dir, ".yaml", DescriptorParser::parse,
                PipelineException.class)) {
            h.warmUp(input);
            String o = h.check(input);
            assertNotNull(o, "must not parse");
            return o;
        }
    }

    /** A flipped bit made a byte that is not UTF-8: Files.readString leaked a MalformedInputException. */
    @Test
    void bytesThatAreNotUtf8AreAProblemWithALocation() throws Exception {
        String o = outcome("model:\n  path: m\u00e9.bin\nbackend: \u00ff\n".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(o.startsWith("rejected: ") && o.contains("2:") && o.contains("not UTF-8"), o);
    }

    /** A 200 KB scalar on one line: the YAML scanner's window regrowth allocated 78 MB for it. */
    @Test
    void veryLongLinesAreRejectedBeforeScanning() throws Exception {
        String o = outcome(("backend: auto\nk: " + "x".repeat(200_000) + "\n").getBytes(StandardCharsets.UTF_8));
        assertTrue(o.startsWith("rejected: ") && o.contains("at most 4096"), o);
    }

    /** 2,300 nested flow lists: 2 MB of parser context for a 2.8 KB file. Now nesting stops at 64 levels. */
    @Test
    void deepNestingIsRejected() throws Exception {
        String o = outcome(("backend: auto\nx: " + "[".repeat(2300) + "\n").getBytes(StandardCharsets.UTF_8));
        assertTrue(o.startsWith("rejected: ") && o.contains("YAML syntax"), o);
    }
}
