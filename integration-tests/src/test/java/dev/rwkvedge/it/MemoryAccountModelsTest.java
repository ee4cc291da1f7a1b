package dev.rwkvedge.it;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.memory.DenseBaseline;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.pipeline.PipelineResult;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory account of models as the engine binds them: the dense baseline against the real fixtures' own tensors,
 * a dense synthetic model, and a container written by a pipeline with every structural compressor (lowrank,
 * sparsity, cluster-head, embedding-cache), against bytes computed here from the file's tensors by the rules of
 * PAPER.md §3-§6.
 */
class MemoryAccountModelsTest {
    @TempDir
    Path dir;

    /** The dense tensor list of each fixture's shape is exactly the fixture's tensors: names, shapes, count. */
    @ParameterizedTest
    @ValueSource(strings = {"4v0-660K-FP32", "4v0-660K-Q5_1", "5v1-730K-FP16", "5v2-730K-FP32", "6v0-1m-FP32",
            "6v0-3m-Q5_0", "7v0-834K-FP32", "7v0-834K-Q5_0"})
    void denseBaselineIsTheFixturesParameterCount(String name) throws IOException {
        Path p = Fixtures.require("models/tiny/tiny-rwkv-" + name + ".bin");
        try (ModelWeights w = WeightFormats.open(p, "auto")) {
            DenseBaseline b = DenseBaseline.of(w, ModelConfig.of(w));
            Map<String, long[]> shapes = SyntheticModel.tensorShapes(b.shape());
            assertEquals(w.names(), shapes.keySet(), name);
            for (Tensor t : w.tensors()) {
                assertTrue(Arrays.equals(t.shape(), shapes.get(t.name())), t + " vs " + Arrays.toString(shapes.get(t.name())));
            }
            assertEquals(w.parameterCount(), b.parameters(), name);
        }
    }

    /** Dense operators claim their matrices once: stored = resident, nothing on demand, FP16 ratio by hand. */
    @Test
    void denseSyntheticModelIsAllResident() {
        try (ModelWeights w = SyntheticModel.generate(new SynthSpec(RwkvVersion.V5_2, 1, 64, 128, 0, 64, DType.F16, 7));
             KernelBackend backend = KernelBackends.create("scalar", 1);
             RwkvModel m = RwkvModel.of(w, backend, false)) {
            MemoryAccount a = m.memoryAccount();
            // By hand (see rwkv-api MemoryAccountTest): 143,872 bytes stored; 70,784 dense parameters.
            assertEquals(143_872, a.total().stored());
            assertEquals(143_872, a.total().resident());
            assertEquals(0, a.total().onDemand());
            assertEquals(16_896, a.components().get(Component.EMBEDDING).resident());
            assertEquals(66_048, a.components().get(Component.CHANNEL_MIX).resident());
            assertEquals(2.0 * 70_784 / 143_872, a.ratioVsFp16(), 1e-12);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void compressedContainerByComponent() throws IOException {
        PipelineResult result = CompressedModels.write(dir);
        Path model = dir.resolve("model.rwkv-edge");
        try (ModelWeights w = WeightFormats.open(model, "auto");
             KernelBackend backend = KernelBackends.create("scalar", 1);
             RwkvModel m = RwkvModel.of(w, backend, false)) {
            MemoryAccount a = m.memoryAccount();
            Map<String, String> meta = w.metadata();

            // Embedding: the cache holds min(1000, 512) rows of 128 floats; ln0 is resident; the F16 table (512 × 128
            // × 2) is on demand, a miss reading one 256-byte row.
            double hit = Double.parseDouble(meta.get("embedding.cache.hit_rate"));
            MemoryAccount.Row e = a.components().get(Component.EMBEDDING);
            assertEquals(512L * 128 * 4 + 2 * 128 * 4, e.resident());
            assertEquals(512L * 128 * 2, e.onDemand());
            assertEquals((1 - hit) * 256, e.touchedPerToken(), 1e-6);

            long ffnOnDemand = 0;
            double ffnTouched = 0;
            long ffnResident = 0;
            long predResident = 0;
            long predStored = 0;
            long attResident = 0;
            for (Tensor t : w.tensors()) {
                String n = t.name();
                if (n.matches("blocks\\.\\d+\\.ffn\\.sparse\\.(key|value_t)")) {
                    int layer = Integer.parseInt(n.split("\\.")[1]);
                    String share = meta.get("sparsity.blocks." + layer + (n.endsWith("key") ? ".key_share" : ".value_share"));
                    ffnOnDemand += t.byteSize();
                    ffnTouched += Double.parseDouble(share) * t.byteSize();
                } else if (n.matches("blocks\\.\\d+\\.ffn\\.predictor\\..*")) {
                    predStored += t.byteSize();
                    predResident += n.endsWith("sign_range") ? 0 : t.byteSize();
                } else if (n.matches("blocks\\.\\d+\\.ffn\\..*")) {
                    ffnResident += t.byteSize();
                } else if (n.matches("blocks\\.\\d+\\.att\\..*")) {
                    attResident += t.byteSize();
                }
            }
            assertTrue(w.contains("blocks.0.att.key.weight.lowrank.a"), "lowrank ran");
            MemoryAccount.Row ffn = a.components().get(Component.CHANNEL_MIX);
            // Key and transposed value: 2 layers × 2 × 448 × 128 × 2 bytes.
            assertEquals(2L * 2 * 448 * 128 * 2, ffnOnDemand);
            assertEquals(ffnOnDemand, ffn.onDemand());
            assertEquals(ffnTouched, ffn.touchedPerToken(), 1e-6);
            assertEquals(ffnResident, ffn.resident());
            MemoryAccount.Row pred = a.components().get(Component.PREDICTORS);
            // 1-bit signs: 448 rows × 16 bytes per layer, plus the 4-byte quantile; the 8-byte range is load-only.
            assertEquals(2L * (448 * 16 + 4), pred.resident());
            assertEquals(predResident, pred.resident());
            assertEquals(predStored, pred.stored());
            assertEquals(attResident, a.components().get(Component.TIME_MIX).resident());

            // Head: H1 (16 × 128 F32), bias, order, offsets, prior resident; the F16 rows on demand; assign load-only.
            double headShare = Double.parseDouble(meta.get("head.clusters.expected_share"));
            MemoryAccount.Row h = a.components().get(Component.HEAD);
            long rows = w.get("head.clusters.weight").byteSize();
            assertEquals(512L * 128 * 2, rows);
            assertEquals(w.get("head.clusters.centroids").byteSize() + 16 * 4 + 512 * 4 + 17 * 4 + 512 * 4, h.resident());
            assertEquals(rows, h.onDemand());
            assertEquals(headShare * rows, h.touchedPerToken(), 1e-6);
            assertEquals(h.resident() + h.onDemand() + 512 * 4, h.stored());

            long stored = w.tensors().stream().mapToLong(Tensor::byteSize).sum();
            assertEquals(stored, a.total().stored());
            long denseParams = DenseBaseline.of(new SynthSpec(RwkvVersion.V5_2, 2, 128, 512, 0, 64, DType.F16, 3)
                    .denseShape()).parameters();
            assertEquals(denseParams, a.dense().parameters());
            assertTrue(a.ratioVsFp16() > 1, "resident " + a.total().resident() + " vs dense FP16 " + 2 * denseParams);

            // The pipeline reports the same account after, and the dense one before.
            assertEquals(a.total(), result.memoryAfter().total());
            assertEquals(result.memoryBefore().total().stored(), result.memoryBefore().total().resident());
        }
        Map<String, Object> report = Json.parseObject(Files.readString(dir.resolve("report.json")));
        Map<String, Object> after = (Map<String, Object>) report.get("memory_after");
        Map<String, Object> comps = (Map<String, Object>) after.get("components");
        assertTrue(((Number) ((Map<String, Object>) comps.get("channel-mix")).get("on_demand_bytes")).longValue() > 0);
        assertTrue(((Number) after.get("ratio_vs_fp16")).doubleValue() > 1);
        assertTrue(report.containsKey("memory_before") && report.containsKey("resident_ratio"));
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<h2>Memory</h2>") && html.contains("on demand after"), "memory table in the HTML");
    }
}
