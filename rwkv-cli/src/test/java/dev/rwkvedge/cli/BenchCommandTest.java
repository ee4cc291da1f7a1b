package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench} on a tiny model with small settings: the JSON has every documented key with sane values. (This JVM
 * runs without the incubator module, so auto picks scalar; the vector backend's own tests cover its speed paths.)
 */
class BenchCommandTest {
    @Test
    void jsonHasTheDocumentedKeys() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--tokens", "4", "--prompt-tokens", "8", "--warmup", "2",
                "--prefill-runs", "1", "--triad-mib", "4", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        for (String k : new String[] {"backend", "threads", "decode_ms_per_token", "decode_tokens_per_s",
                "prefill_tokens_per_s", "bytes_per_token", "triad_gb_per_s", "bandwidth_efficiency", "peak_rss_mb",
                "heap_used_mb"}) {
            assertTrue(o.containsKey(k), k + " missing in " + o);
        }
        assertEquals("scalar", o.get("backend"));
        assertTrue(((Number) o.get("decode_ms_per_token")).doubleValue() > 0);
        assertTrue(((Number) o.get("triad_gb_per_s")).doubleValue() > 0);
        assertTrue(((Number) o.get("peak_rss_mb")).doubleValue() > 0);
        assertTrue(((Number) o.get("bytes_per_token")).longValue() > 0);
        assertEquals(false, o.get("runtime_only"));
    }

    /**
     * The memory account in bench's JSON: an FP32 dense fixture is all resident, and its dense baseline is its own
     * parameter count (731,904 for tiny 5v2), so FP32 ratio 1 and FP16 ratio 1/2; the compact keys agree with the
     * full account.
     */
    @Test
    @SuppressWarnings("unchecked")
    void jsonHasTheMemoryAccount() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--tokens", "2", "--prompt-tokens", "4", "--warmup", "0",
                "--prefill-runs", "1", "--triad-mib", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        Map<String, Object> memory = (Map<String, Object>) o.get("memory");
        Map<String, Object> total = (Map<String, Object>) memory.get("total");
        assertEquals(731_904L * 4, total.get("resident_bytes"));
        assertEquals(total.get("resident_bytes"), o.get("resident_param_bytes"));
        assertEquals(731_904L, memory.get("dense_parameters"));
        assertEquals(1.0, ((Number) o.get("ratio_vs_fp32")).doubleValue(), 1e-9);
        assertEquals(0.5, ((Number) o.get("ratio_vs_fp16")).doubleValue(), 1e-9);
        Map<String, Object> byComponent = (Map<String, Object>) o.get("resident_by_component");
        long sum = byComponent.values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
        assertEquals(731_904L * 4, sum);
        // 12 layers × (4 att projections 64×64 + gate + ffn receptance) … the head alone is 256 × 64 × 4 bytes.
        assertEquals(256L * 64 * 4, byComponent.get("head"));
        for (String k : new String[] {"rss_mb", "rss_anon_mb", "rss_file_mb", "rss_model_file_mb", "heap_max_mb"}) {
            assertTrue(o.containsKey(k), k);
        }
    }

    @Test
    void xmxNeedsRuntimeOnly() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP16.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--xmx", "64m");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("--runtime-only"), r.err());
        CliRunner bad = CliRunner.run("bench", model, "--runtime-only", "--xmx", "lots");
        assertEquals(Main.EXIT_BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("--xmx lots"), bad.err());
    }

    @Test
    void tableMentionsEfficiency() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP16.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--tokens", "2", "--prompt-tokens", "4", "--warmup", "0",
                "--prefill-runs", "1", "--triad-mib", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("efficiency") && r.out().contains("tokens/s"), r.out());
    }

    @Test
    void explicitVectorWithoutTheModuleSaysHowToEnableIt() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP16.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--backend", "vector");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), r.err());
    }

    @Test
    void badCountsAreBadInput() {
        String model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP16.bin").toString();
        CliRunner r = CliRunner.run("bench", model, "--tokens", "0");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
    }
}
