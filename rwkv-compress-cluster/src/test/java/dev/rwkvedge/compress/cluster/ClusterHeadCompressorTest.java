package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cluster-head} end to end on a tiny real model (byte vocabulary of 256: small, so K is 16). */
class ClusterHeadCompressorTest {
    static final String MODEL = "tiny-rwkv-5v2-730K-FP32.bin";
    static KernelBackend backend;
    static ModelWeights original;
    static int[] calibration;
    static int[] heldOut;

    @BeforeAll
    static void load() throws IOException {
        backend = new ScalarBackendProvider().create(1);
        original = TinyData.model(MODEL);
        calibration = TinyData.tokens(MODEL, 0, 768);
        heldOut = TinyData.tokens(MODEL, 200_000, 512);
    }

    @AfterAll
    static void close() {
        original.close();
        backend.close();
    }

    static CompressionResult compress(Map<String, Object> params, long seed) {
        return new ClusterHeadProvider().create(new Params("cluster-head", params))
                .apply(original, new DirectContext(calibration, seed, backend));
    }

    @Test
    void pMinOneGivesTheDenseModelsLogitsExactly() {
        CompressionResult r = compress(Map.of("p-min", 1.0, "k-max", 1000, "epochs", 1), 1);
        ModelWeights w = r.weights();
        assertFalse(w.contains("head.weight"));
        assertTrue(w.contains(ClusteredHeadProvider.WEIGHT));
        try (RwkvModel dense = RwkvModel.of(original, backend, false); RwkvModel clustered = RwkvModel.of(w, backend, false)) {
            float[][] a = dense.newSession().evalSequenceAllLogits(java.util.Arrays.copyOf(heldOut, 96));
            float[][] b = clustered.newSession().evalSequenceAllLogits(java.util.Arrays.copyOf(heldOut, 96));
            for (int t = 0; t < a.length; t++) {
                assertArrayEquals(a[t], b[t], 0f, "token " + t);
            }
        }
        assertEquals(1.0, (double) r.report().metrics().get("top1_agreement_vs_dense"));
        assertEquals(1.0, (double) r.report().metrics().get("head_share_mean"));
    }

    /** A per-row INT8 head (the quantize step ran first): its rows move into cluster order with their scales. */
    @Test
    void perRowInt8HeadRowsKeepTheirScales() {
        dev.rwkvedge.tensor.Tensor head = original.get("head.weight");
        ModelWeights quantized = original.toBuilder().put(dev.rwkvedge.tensor.Int8Rows.quantize("head.weight",
                head.toFloatArray(), head.shape())).build();
        CompressionResult r = new ClusterHeadProvider().create(new Params("cluster-head",
                Map.of("p-min", 1.0, "k-max", 1000, "epochs", 1)))
                .apply(quantized, new DirectContext(calibration, 1, backend));
        ModelWeights w = r.weights();
        assertFalse(w.contains("head.weight.scale"), "the dense head's scale goes with it");
        assertTrue(w.get(ClusteredHeadProvider.WEIGHT).hasRowScale());
        assertTrue(w.contains(ClusteredHeadProvider.WEIGHT + ".scale"));
        try (RwkvModel dense = RwkvModel.of(quantized, backend, false); RwkvModel clustered = RwkvModel.of(w, backend, false)) {
            float[][] a = dense.newSession().evalSequenceAllLogits(java.util.Arrays.copyOf(heldOut, 48));
            float[][] b = clustered.newSession().evalSequenceAllLogits(java.util.Arrays.copyOf(heldOut, 48));
            for (int t = 0; t < a.length; t++) {
                assertArrayEquals(a[t], b[t], 0f, "token " + t + ": every cluster taken gives the INT8 head's logits");
            }
        }
    }

    @Test
    void pseudoFallbackKeepsPerplexityFiniteAndCloseToDense() {
        CompressionResult r = compress(Map.of("p-min", 0.9, "k-min", 2, "epochs", 5), 1);
        Map<String, Object> m = r.report().metrics();
        assertEquals(16, m.get("clusters"));
        assertTrue((double) m.get("h1_kl_train") < (double) m.get("h1_kl_init_train"), "distillation lowers the KL: " + m);
        double share = (double) m.get("head_share_mean");
        assertTrue(share > 0 && share < 1, "share " + share);
        assertEquals(Double.toString(share), r.weights().metadata().get(ClusteredHeadProvider.META_EXPECTED_SHARE));
        try (RwkvModel dense = RwkvModel.of(original, backend, false);
             RwkvModel clustered = RwkvModel.of(r.weights(), backend, false)) {
            // The memory account reads the recorded share: the head rows are on demand, that share of them per token.
            MemoryAccount.Row head = clustered.memoryAccount().components().get(Component.HEAD);
            long rows = r.weights().get(ClusteredHeadProvider.WEIGHT).byteSize();
            assertEquals(rows, head.onDemand());
            assertEquals(share * rows, head.touchedPerToken(), 1e-6);
            EvalResult e = Evaluator.evaluate(clustered, dense, heldOut, null, null);
            assertTrue(Double.isFinite(e.nll()), "pseudo-logits give every token mass");
            assertTrue(e.top1Agreement() > 0.8, "agreement " + e.top1Agreement());
            assertTrue(e.kl() < 0.5, "KL " + e.kl());
            assertTrue(e.bitsPerByte() < e.referenceBitsPerByte() * 1.25, e.toMap(true).toString());
        }
    }

    @Test
    void fallbackNoneDropsTokens() {
        CompressionResult r = compress(Map.of("p-min", 0.5, "k-min", 1, "k-max", 2, "fallback", "none", "epochs", 1), 1);
        try (RwkvModel clustered = RwkvModel.of(r.weights(), backend, false)) {
            float[] l = clustered.newSession().evalSequence(java.util.Arrays.copyOf(heldOut, 16));
            long inf = 0;
            for (float v : l) {
                if (v == Float.NEGATIVE_INFINITY) {
                    inf++;
                }
            }
            assertTrue(inf > 0 && inf < l.length, inf + " of " + l.length);
        }
    }

    @Test
    void sameSeedSameHeadOtherSeedOtherClusters() {
        Map<String, Object> p = Map.of("epochs", 2);
        ModelWeights a = compress(p, 5).weights();
        ModelWeights b = compress(p, 5).weights();
        ModelWeights c = compress(p, 6).weights();
        for (String name : new String[] {ClusteredHeadProvider.ASSIGN, ClusteredHeadProvider.CENTROIDS,
                ClusteredHeadProvider.BIAS, ClusteredHeadProvider.PRIOR}) {
            assertArrayEquals(a.get(name).toFloatArray(), b.get(name).toFloatArray(), 0f, name);
        }
        assertFalse(java.util.Arrays.equals(a.get(ClusteredHeadProvider.ASSIGN).toFloatArray(),
                c.get(ClusteredHeadProvider.ASSIGN).toFloatArray()));
    }

    @Test
    void parametersAreCheckedAndRegistered() {
        RwkvException e = assertThrows(RwkvException.class,
                () -> new ClusterHeadProvider().create(new Params("cluster-head", Map.of("top_k", 8))));
        assertTrue(e.getMessage().contains("top_k"), e.getMessage());
        ClusterHeadSettings fixed = ClusterHeadSettings.from(new Params("s", Map.of("clusters", 256, "top-k", 8)));
        assertEquals(8, fixed.kMin());
        assertEquals(8, fixed.kMax());
        assertThrows(RwkvException.class, () -> ClusterHeadSettings.from(new Params("s", Map.of("top-k", 8, "k-max", 9))));
        assertThrows(RwkvException.class, () -> new ClusterHeadProvider().create(new Params("cluster-head", Map.of("p-min", 1.5))));
        assertThrows(RwkvException.class, () -> new ClusterHeadProvider().create(new Params("cluster-head", Map.of("fallback", "centroid"))));
        assertThrows(RwkvException.class, () -> new ClusterHeadProvider().create(new Params("cluster-head", Map.of("k-min", 5, "k-max", 4))));
        assertTrue(Compressors.registry().available().contains("cluster-head"));
        assertTrue(Compressors.registry().available().contains("embedding-cache"));
        assertEquals(16, ClusterHeadSettings.from(new Params("s", Map.of())).clustersFor(256));
        assertEquals(200, ClusterHeadSettings.from(new Params("s", Map.of())).clustersFor(65536));
        assertEquals(128, ClusterHeadSettings.from(new Params("s", Map.of("clusters", 999))).clustersFor(256));
    }
}
