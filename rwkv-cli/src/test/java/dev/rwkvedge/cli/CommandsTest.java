package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.testing.RwkvCppReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands of the foundation: inspect, logits, plugins. */
class CommandsTest {
    @TempDir
    Path dir;

    @Test
    void pluginsListsScalarAndRwkvCpp() {
        CliRunner r = CliRunner.run("plugins");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*backend\\s+scalar.*"), r.out());
        assertTrue(r.out().matches("(?s).*format\\s+rwkv-cpp.*"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectJsonReportsDimensionsAndComponents() throws IOException {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP16.bin");
        CliRunner r = CliRunner.run("inspect", model.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        // Dimensions from ../shared/models/FIXTURES.md: v7, 12 layers, C 64, vocab 256, ffn 256, 1 head of 64.
        assertEquals("v7", o.get("version"));
        assertEquals(12L, o.get("n_layer"));
        assertEquals(64L, o.get("n_embd"));
        assertEquals(256L, o.get("n_vocab"));
        assertEquals(256L, o.get("ffn_dim"));
        assertEquals(64L, o.get("head_size"));
        Map<String, Object> comps = (Map<String, Object>) o.get("components");
        long bytes = 0;
        for (Object c : comps.values()) {
            bytes += (Long) ((Map<String, Object>) c).get("bytes");
        }
        // The file is the 24-byte header, the per-tensor records, and the data; data bytes < file bytes.
        assertTrue(bytes > 0 && bytes < (Long) o.get("file_bytes"));
        assertEquals(bytes, o.get("tensor_bytes"));
        Map<String, Object> types = (Map<String, Object>) o.get("dtypes");
        assertTrue(types.containsKey("f16") && types.containsKey("f32"), types.toString());
    }

    @Test
    void logitsFileMatchesReferenceInBothModes() throws IOException {
        var ref = RwkvCppReference.load().stream()
                .filter(m -> m.modelFile().equals("tiny-rwkv-5v1-730K-FP32.bin")).findFirst().orElseThrow();
        var prompt = ref.prompts().get(1);
        String ids = java.util.Arrays.stream(prompt.tokens()).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(","));
        for (String mode : new String[] {"serial", "sequence"}) {
            Path out = dir.resolve(mode + ".f32");
            Path state = dir.resolve(mode + ".state");
            CliRunner r = CliRunner.run("logits", ref.modelPath().toString(), "--tokens", ids, "--mode", mode,
                    "--out", out.toString(), "--state-out", state.toString(), "--backend", "scalar");
            assertEquals(0, r.code(), r.err());
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(prompt.tokens().length * 256 * 4, b.capacity());
            double worst = 0;
            for (int t = 0; t < prompt.tokens().length; t++) {
                for (int v = 0; v < 256; v++) {
                    worst = Math.max(worst, Math.abs(b.getFloat((t * 256 + v) * 4) - prompt.logits()[t][v]));
                }
            }
            assertTrue(worst < 1e-4, mode + ": max |Δ| " + worst);
            assertTrue(Files.size(state) > 4L * ref.stateLen(), "state file written");
        }
    }
}
