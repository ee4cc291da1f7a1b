package dev.rwkvedge.it;

import dev.rwkvedge.pipeline.Descriptor;
import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineResult;
import dev.rwkvedge.pipeline.PipelineRunner;
import dev.rwkvedge.pipeline.ProgressListener;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code examples/*.yaml} validates as it is, and runs on small inputs: a copy placed beside the shared data
 * with synthetic models shrunk to 2 layers × 64 and vocab 256 and evaluation cut to 64 tokens.
 */
class ExamplesTest {
    @TempDir
    Path work;

    static Stream<Path> examples() throws IOException {
        Path dir = Path.of(System.getProperty("rwkv.examples", "../examples")).toAbsolutePath().normalize();
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertTrue(!l.isEmpty(), "no examples in " + dir);
            return l.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void validatesAndRunsSmall(Path example) throws IOException {
        Fixtures.require("corpus/tinyshakespeare.txt");
        Descriptor d = DescriptorParser.parse(example);
        assertTrue(d.output() != null && d.model() != null);

        // Same relative layout as the repo (examples/ beside shared/ one level up), with the output redirected.
        Path examplesDir = work.resolve("repo/examples");
        Files.createDirectories(examplesDir);
        Path shared = work.resolve("shared");
        Files.createSymbolicLink(shared, Fixtures.root());
        String text = Files.readString(example)
                .replaceAll("layers: \\d+", "layers: 2").replaceAll("embd: \\d+", "embd: 64")
                .replaceAll("vocab: \\d+", "vocab: 256").replaceAll("tokens: \\d+", "tokens: 64")
                .replace("../../shared/", "../../shared/");
        Path small = examplesDir.resolve(example.getFileName());
        Files.writeString(small, text);
        PipelineResult r = PipelineRunner.run(DescriptorParser.parse(small), ProgressListener.silent());
        assertTrue(Files.size(r.output()) > 0);
        if (r.evalAfter() != null) {
            assertTrue(Double.isFinite(r.evalAfter().perplexity()));
            assertEquals(63, r.evalAfter().predicted());
        }
    }
}
