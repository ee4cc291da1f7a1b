package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** synth, inspect and convert on files; the hostile fixtures end with exit 2 and one line. */
class ModelFileCommandsTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void synthModelsLoadAndInspectShowsTheirSizes() throws IOException {
        for (String version : new String[] {"v4", "v5.1", "v5.2", "v6", "v7"}) {
            Path out = dir.resolve("synth-" + version + ".rwkv-edge");
            CliRunner r = CliRunner.run("synth", "--version", version, "--layers", "2", "--embd", "128", "--vocab", "512",
                    "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            CliRunner i = CliRunner.run("inspect", out.toString(), "--json");
            assertEquals(0, i.code(), i.err());
            Map<String, Object> o = Json.parseObject(i.out().strip());
            assertEquals(version, o.get("version"));
            assertEquals(true, o.get("synthetic"));
            assertEquals(2L, o.get("n_layer"));
            assertEquals(512L, o.get("n_vocab"));
            // Embedding and head: 512 × 128 f16 each.
            Map<String, Object> comps = (Map<String, Object>) o.get("components");
            assertEquals(512L * 128 * 2, ((Map<String, Object>) comps.get("head")).get("bytes"));
            CliRunner text = CliRunner.run("inspect", out.toString());
            assertTrue(text.out().contains("(synthetic)"), text.out());
            CliRunner g = CliRunner.run("generate", out.toString(), "--prompt", "hi", "--max-tokens", "4",
                    "--tokenizer", "byte", "--backend", "scalar");
            assertEquals(0, g.code(), g.err());
        }
    }

    @ParameterizedTest
    @CsvSource({
            "bad-truncated-mid-tensor.pth, truncated",
            "bad-forbidden-global-os-system.pth, os.system",
            "bad-header-len-2pow40.safetensors, header"})
    void hostileFixturesFailCleanly(String file, String fragment) throws IOException {
        Path p = Fixtures.require("models/bad/" + file);
        for (String cmd : new String[] {"inspect", "generate"}) {
            CliRunner r = cmd.equals("inspect") ? CliRunner.run("inspect", p.toString())
                    : CliRunner.run("generate", p.toString(), "--prompt", "x", "--tokenizer", "byte");
            assertEquals(2, r.code(), r.err());
            String[] lines = r.err().strip().split("\\R");
            assertEquals(1, lines.length, r.err());
            assertTrue(lines[0].contains(file) && lines[0].toLowerCase().contains(fragment.toLowerCase()), lines[0]);
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void convertRefusesToOverwriteItsInputAndUnknownExtensions() throws IOException {
        Path src = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP32.bin");
        Path copy = dir.resolve("m.bin");
        Files.copy(src, copy);
        assertEquals(2, CliRunner.run("convert", copy.toString(), copy.toString()).code());
        CliRunner r = CliRunner.run("convert", copy.toString(), dir.resolve("m.xyz").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--format"), r.err());
    }
}
