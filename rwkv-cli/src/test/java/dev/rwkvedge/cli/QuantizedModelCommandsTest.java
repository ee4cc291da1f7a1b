package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shaded CLI has the quantize step; inspect shows per-row INT8 tensors; rwkv-cpp refuses them in one line. */
class QuantizedModelCommandsTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void compressInspectAndConvertAQuantizedModel() throws IOException {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin");
        Path yaml = dir.resolve("q.yaml");
        Path out = dir.resolve("q.rwkv-edge");
        Files.writeString(yaml, "model: " + model + "\nbackend: scalar\nsteps:\n  - quantize: {dtype: int8}\n"
                + "output: " + out + "\n");
        CliRunner c = CliRunner.run("compress", yaml.toString());
        assertEquals(0, c.code(), c.err());

        CliRunner text = CliRunner.run("inspect", out.toString(), "--tensors");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().lines().anyMatch(l -> l.startsWith("head.weight ") && l.contains("i8 (row-scaled)")),
                text.out());
        assertTrue(text.out().lines().anyMatch(l -> l.startsWith("head.weight.scale ") && l.contains("f32")), text.out());

        CliRunner json = CliRunner.run("inspect", out.toString(), "--json", "--tensors");
        Map<String, Object> o = Json.parseObject(json.out().strip());
        Map<String, Object> head = ((List<Map<String, Object>>) o.get("tensors")).stream()
                .filter(t -> t.get("name").equals("head.weight")).findFirst().orElseThrow();
        assertEquals("i8", head.get("dtype"));
        assertEquals("head.weight.scale", head.get("row_scale"));
        Map<String, Object> comps = (Map<String, Object>) o.get("components");
        // head: 256 × 64 codes + 256 scales, both counted as head bytes.
        assertEquals(256L * 64 + 256 * 4, ((Map<String, Object>) comps.get("head")).get("bytes"));

        CliRunner conv = CliRunner.run("convert", out.toString(), dir.resolve("q.bin").toString());
        assertEquals(2, conv.code(), conv.err());
        String[] lines = conv.err().strip().split("\\R");
        assertEquals(1, lines.length, conv.err());
        assertTrue(lines[0].contains("i8") && lines[0].contains("rwkv-cpp"), lines[0]);

        CliRunner plugins = CliRunner.run("plugins");
        assertTrue(plugins.out().contains("quantize"), plugins.out());
    }
}
