package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.PredictedSparseOperatorProvider;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code sparsity} step on a tiny real model: parameters, determinism, recall on held-out and on unseen text. */
class SparsityCompressorTest {
    private static final String MODEL = "tiny-rwkv-5v2-730K-FP32.bin";
    private static KernelBackend backend;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static CompressionResult compress(ModelWeights w, int[] calibration, long seed, Map<String, Object> params) {
        return Compressors.registry().forName("sparsity").create(new Params("sparsity", params))
                .apply(w, TinyData.context(calibration, seed, backend));
    }

    @Test
    void unknownParameterNamesStepAndKey() {
        RwkvException e = assertThrows(RwkvException.class, () -> new SparsityCompressorProvider()
                .create(new Params("sparsity", Map.of("predictor", "mlp", "mlp-rnak", 32))));
        assertTrue(e.getMessage().contains("'sparsity'") && e.getMessage().contains("mlp-rnak"), e.getMessage());
        RwkvException bad = assertThrows(RwkvException.class, () -> new SparsityCompressorProvider()
                .create(new Params("sparsity", Map.of("predictor", "2bit"))));
        assertTrue(bad.getMessage().contains("predictor") && bad.getMessage().contains("2bit"), bad.getMessage());
    }

    @Test
    void trainingIsDeterministicPerSeed() throws Exception {
        Map<String, Object> p = Map.of("predictor", "mlp", "mlp-rank", 16, "epochs", 2);
        try (ModelWeights w = TinyData.open(MODEL)) {
            int[] cal = TinyData.corpus(MODEL, 0, 600);
            String p1 = SparseFfnTensors.name(1, SparseFfnTensors.P1);
            float[] a = compress(w, cal, 42, p).weights().get(p1).toFloatArray();
            float[] b = compress(w, cal, 42, p).weights().get(p1).toFloatArray();
            float[] c = compress(w, cal, 43, p).weights().get(p1).toFloatArray();
            assertArrayEquals(a, b, 0f);
            assertFalse(java.util.Arrays.equals(a, c), "another seed trains another predictor");
        }
    }

    @Test
    void ensembleReachesTargetRecallOnHeldOutAndUnseenText() throws Exception {
        double target = 0.99;
        try (ModelWeights w = TinyData.open(MODEL)) {
            int[] cal = TinyData.corpus(MODEL, 0, 3000);
            Map<String, Object> p = new HashMap<>(Map.of("predictor", "ensemble", "target-recall", target, "epochs", 8, "mlp-rank", 32));
            CompressionResult res = compress(w, cal, 1, p);
            List<Map<String, Object>> rows = res.report().rows();
            int layers = rows.size();
            assertEquals(w.names().stream().filter(n -> n.endsWith(".ffn.key.weight")).count(), layers);
            for (Map<String, Object> row : rows) {
                double recall = (double) row.get("recall");
                boolean meets = (boolean) row.get("meets_target");
                assertEquals(recall >= target, meets, row.toString());
                assertTrue(meets || !row.get("note").toString().isEmpty(), row.toString());
                assertTrue(recall >= target - 0.02, "held-out recall far below target: " + row);
                assertTrue((double) row.get("predicted_sparsity") > 0.05, "predictor keeps nearly everything: " + row);
                assertEquals(res.weights().metadata().get(SparseFfnTensors.operatorMetadataKey((int) row.get("layer"))),
                        "predicted-sparse");
            }

            int[] unseen = TinyData.corpus(MODEL, -8192, 1000);
            FfnActivationRecorder rec = new FfnActivationRecorder(layers, w.get("emb.weight").cols(),
                    w.get("blocks.0.ffn.key.weight").rows(), 10_000);
            TinyData.observe(w, backend, rec, unseen);
            PredictedSparseOperatorProvider provider = new PredictedSparseOperatorProvider();
            for (int l = 0; l < layers; l++) {
                LayerActivations a = rec.layer(l);
                PredictedSparseFfn op = (PredictedSparseFfn) provider.bindFfn(res.weights(), l, a.embd(), a.ffn()).orElseThrow();
                PredictorQuality q = PredictorQuality.measure(backend, op.predictor(), 32, a, 0, a.tokens(),
                        op.key().rowBytes(), op.valueT().rowBytes());
                assertTrue(q.recall() >= target - 0.03, "layer " + l + " recall on unseen text " + q);
                double rowBytes = q.bytesPerToken() - op.predictor().bytesPerToken();
                assertTrue(rowBytes < op.denseBytesPerToken(), "layer " + l + " reads fewer FFN rows than dense: " + q);

                // The shares recorded for the memory account reproduce the report's held-out bytes per token, and the
                // bound operator's footprint expects exactly those rows.
                double keyShare = Double.parseDouble(res.weights().metadata().get(SparseFfnTensors.keyShareMetadataKey(l)));
                double valueShare = Double.parseDouble(res.weights().metadata().get(SparseFfnTensors.valueShareMetadataKey(l)));
                assertEquals(1 - (double) rows.get(l).get("predicted_sparsity"), keyShare, 1e-12);
                assertTrue(valueShare <= keyShare && valueShare > 0, valueShare + " vs " + keyShare);
                double expected = op.predictor().bytesPerToken() + keyShare * op.key().byteSize()
                        + valueShare * op.valueT().byteSize();
                assertEquals(((Number) rows.get(l).get("bytes_per_token")).doubleValue(), expected, 1.0);
                double touched = op.footprint().items().stream()
                        .filter(i -> i.residency() == Footprint.Residency.ON_DEMAND)
                        .mapToDouble(Footprint.Item::touchedPerToken).sum();
                assertEquals(keyShare * op.key().byteSize() + valueShare * op.valueT().byteSize(), touched, 1e-6);
            }
        }
    }
}
