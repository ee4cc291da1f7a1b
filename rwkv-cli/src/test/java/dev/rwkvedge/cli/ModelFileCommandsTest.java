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

    /**
     * inspect's memory account: components add up to the total, stored equals the file's tensor bytes, and the dense
     * baseline of a dense fixture is its own parameter count (tiny 6v0: 1,028,352), so the FP16 file of it is
     * exactly 2 bytes per parameter for the matrices; the text has the table and the ratios.
     */
    @Test
    @SuppressWarnings("unchecked")
    void inspectShowsTheMemoryAccount() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-6v0-1m-FP32.bin").toString();
        CliRunner r = CliRunner.run("inspect", model, "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        Map<String, Object> memory = (Map<String, Object>) o.get("memory");
        assertEquals(1_028_352L, memory.get("dense_parameters"));
        assertEquals(o.get("parameters"), memory.get("dense_parameters"));
        Map<String, Object> total = (Map<String, Object>) memory.get("total");
        assertEquals(o.get("tensor_bytes"), total.get("stored_bytes"));
        assertEquals(o.get("tensor_bytes"), total.get("resident_bytes"));
        assertEquals(0L, total.get("on_demand_bytes"));
        long stored = 0;
        for (Object c : ((Map<String, Object>) memory.get("components")).values()) {
            stored += ((Number) ((Map<String, Object>) c).get("stored_bytes")).longValue();
        }
        assertEquals(total.get("stored_bytes"), stored);
        assertEquals(1.0, ((Number) memory.get("ratio_vs_fp32")).doubleValue(), 1e-9);
        CliRunner text = CliRunner.run("inspect", model);
        assertTrue(text.out().contains("RESIDENT") && text.out().contains("ON DEMAND")
                && text.out().contains("dense model 1,028,352 parameters"), text.out());
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
