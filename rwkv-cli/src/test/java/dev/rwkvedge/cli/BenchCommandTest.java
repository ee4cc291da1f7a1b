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
