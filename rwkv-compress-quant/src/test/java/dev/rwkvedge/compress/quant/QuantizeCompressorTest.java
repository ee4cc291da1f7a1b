package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step on the tiny v5.2 and v6 models: what it selects, what it leaves, the report and the metadata. */
class QuantizeCompressorTest {
    private static KernelBackend backend;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Map<String, Object> rowOf(CompressionReport r, String tensor) {
        return r.rows().stream().filter(m -> m.get("tensor").equals(tensor)).findFirst()
                .orElseThrow(() -> new AssertionError("no report row for " + tensor));
    }

    @Test
    void defaultsQuantizeTheMatricesAndLeaveVectorsEmbeddingAndSmallOnes() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-5v2-730K-FP32.bin")) {
            CompressionResult res = Tiny.quantize(w, Map.of(), backend);
            ModelWeights q = res.weights();
            for (int l = 0; l < 12; l++) {
                for (String p : List.of("att.key", "att.value", "att.receptance", "att.gate", "att.output",
                        "ffn.key", "ffn.value", "ffn.receptance")) {
                    String n = "blocks." + l + "." + p + ".weight";
                    assertEquals(DType.I8, q.get(n).dtype(), n);
                    assertTrue(q.get(n).hasRowScale(), n);
                    assertEquals(DType.F32, q.get(n + ".scale").dtype());
                }
                assertEquals(DType.F32, q.get("blocks." + l + ".att.time_decay").dtype(), "per-channel parameter");
                assertEquals(DType.F32, q.get("blocks." + l + ".ln1.weight").dtype());
            }
            assertEquals(DType.I8, q.get("head.weight").dtype());
            assertEquals(DType.F32, q.get("emb.weight").dtype(), "the paper keeps the embedding");
            List<String> names = List.copyOf(q.names());
            assertEquals(names.indexOf("head.weight") + 1, names.indexOf("head.weight.scale"), "scale follows its matrix");

            CompressionReport r = res.report();
            assertEquals(12 * 8 + 2, r.rows().size(), "98 matrices: projections, head, embedding");
            assertEquals(97L, ((Number) r.metrics().get("quantized")).longValue());
            Map<String, Object> emb = rowOf(r, "emb.weight");
            assertEquals("skipped: excluded by 'emb.weight'", emb.get("status"));
            Map<String, Object> key = rowOf(r, "blocks.0.att.key.weight");
            assertEquals("f32", key.get("dtype_before"));
            assertEquals("i8", key.get("dtype_after"));
            assertEquals(64L * 64 * 4, ((Number) key.get("bytes_before")).longValue());
            assertEquals(64L * 64 + 64 * 4, ((Number) key.get("bytes_after")).longValue());
            double rel = ((Number) key.get("relative_error")).doubleValue();
            assertTrue(rel > 0 && rel < 0.02, "relative error " + rel);
            double maxAbs = ((Number) key.get("max_abs_error")).doubleValue();
            float[] orig = w.get("blocks.0.att.key.weight").toFloatArray();
            float[] deq = q.get("blocks.0.att.key.weight").toFloatArray();
            double m = 0;
            for (int i = 0; i < orig.length; i++) {
                m = Math.max(m, Math.abs(orig[i] - deq[i]));
            }
            assertEquals(m, maxAbs, 1e-12);
            assertTrue(((Number) r.metrics().get("model_bytes_after")).longValue()
                    < ((Number) r.metrics().get("model_bytes_before")).longValue() / 2);

            Map<String, Object> ops = Json.parseObject(q.metadata().get(QuantizeCompressor.OPERATORS_KEY));
            assertEquals("i8", ops.get("head.weight"));
            assertEquals(97, ops.size());
            Map<String, Object> manifest = Json.parseObject(q.metadata().get(QuantizeCompressor.MANIFEST_KEY));
            assertEquals("quantize", manifest.get("compressor"));
            assertEquals("int8", manifest.get("dtype"));
        }
    }

    @Test
    void v6LoraFollowsThePaper() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-6v0-1m-FP32.bin")) {
            CompressionResult res = Tiny.quantize(w, Map.of("dtype", "q8_0"), backend);
            ModelWeights q = res.weights();
            assertEquals(DType.Q8_0, q.get("blocks.0.att.key.weight").dtype());
            assertEquals(DType.Q8_0, q.get("blocks.0.att.time_maa_w1").dtype(), "mix LoRA (160 × 64) is quantized");
            assertEquals(DType.Q8_0, q.get("blocks.0.att.time_maa_w2").dtype(), "mix LoRA (5, 64, 32) too");
            assertEquals(DType.F32, q.get("blocks.0.att.time_decay_w1").dtype(), "decay LoRA stays float (paper)");
            assertEquals(DType.F32, q.get("blocks.0.att.time_decay_w2").dtype());
            assertEquals(DType.F32, q.get("blocks.0.att.time_maa_x").dtype(), "per-channel parameter");
            assertEquals(DType.F32, q.get("blocks.0.att.time_faaaa").dtype(), "per-channel parameter");
            assertEquals(0L, ((Number) res.report().metrics().get("int8_fallbacks")).longValue());
        }
    }

    @Test
    void q8_0OfFactorsWithRowsOf48FallsBackToInt8AndSaysSo() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-5v2-730K-FP32.bin")) {
            ModelWeights factorised = QuantizedOperatorsTest.factorised(w);
            CompressionResult res = Tiny.quantize(factorised, Map.of("dtype", "q8_0", "targets", "**.lowrank.*", "min-elements", 0), backend);
            assertEquals(DType.I8, res.weights().get("blocks.0.att.key.weight.lowrank.a").dtype());
            assertEquals(DType.I8, res.weights().get("blocks.0.ffn.key.weight.lowrank.a").dtype(), "A: 256 × 48");
            assertEquals(DType.Q8_0, res.weights().get("blocks.0.ffn.key.weight.lowrank.b").dtype(), "B: 48 × 64");
            assertEquals(12L * 4, ((Number) res.report().metrics().get("int8_fallbacks")).longValue());
            assertEquals("quantized as i8: rows of 48 are not a multiple of 32",
                    rowOf(res.report(), "blocks.0.att.key.weight.lowrank.a").get("status"));
        }
    }

    @Test
    void explicitTargetsThatMatchNothingOrLeaveNothingAreErrors() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-5v2-730K-FP32.bin")) {
            RwkvException e = assertThrows(RwkvException.class,
                    () -> Tiny.quantize(w, Map.of("targets", List.of("head.weight", "blocks.*.att.kee.weight")), backend));
            assertTrue(e.getMessage().contains("blocks.*.att.kee.weight"), e.getMessage());
            e = assertThrows(RwkvException.class, () -> Tiny.quantize(w, Map.of("min-elements", 1 << 20), backend));
            assertTrue(e.getMessage().contains("no float matrix to quantize") && e.getMessage().contains("min-elements"),
                    e.getMessage());
        }
    }

    @Test
    void aSecondStepLeavesQuantizedMatricesAndMergesTheOperatorMap() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-5v2-730K-FP32.bin")) {
            ModelWeights first = Tiny.quantize(w, Map.of("targets", "blocks.*.ffn.*.weight"), backend).weights();
            CompressionResult second = Tiny.quantize(first, Map.of("dtype", "q8_0"), backend);
            ModelWeights q = second.weights();
            assertEquals(DType.I8, q.get("blocks.0.ffn.key.weight").dtype());
            assertTrue(q.get("blocks.0.ffn.key.weight").hasRowScale());
            assertEquals(DType.Q8_0, q.get("blocks.0.att.key.weight").dtype());
            assertEquals("skipped: already i8", rowOf(second.report(), "blocks.0.ffn.key.weight").get("status"));
            Map<String, Object> ops = Json.parseObject(q.metadata().get(QuantizeCompressor.OPERATORS_KEY));
            assertEquals("i8", ops.get("blocks.3.ffn.value.weight"));
            assertEquals("q8_0", ops.get("blocks.3.att.value.weight"));
            for (Tensor t : q.tensors()) {
                assertFalse(t.name().endsWith(".scale.scale"), t.name());
            }
        }
    }
}
