package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.testing.Fixtures;
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

/** The compressor on the tiny v5.2 model (12 layers × 64, FFN 256): selection, skipping, outputs and report. */
class LowRankCompressorTest {
    private static ModelWeights weights;
    private static KernelBackend backend;
    private static final int[] CALIBRATION = Corpus.load().calibration(RwkvVersion.V5_2, 512);

    @BeforeAll
    static void open() throws IOException {
        weights = WeightFormats.open(Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP16.bin"));
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
        weights.close();
    }

    private static CompressionResult run(Map<String, ?> params, int[] calibration) {
        return new LowRankCompressorProvider().create(new Params("lowrank", params))
                .apply(weights, new DirectContext(calibration, 42, backend));
    }

    @Test
    void replacesDefaultTargetsByFactorsAndRecordsRanks() {
        CompressionResult r = run(Map.of("rank-ratio", 0.25), new int[0]);
        ModelWeights out = r.weights();
        for (int l = 0; l < 12; l++) {
            for (String p : List.of("att.receptance", "att.key", "att.value", "att.gate", "ffn.receptance")) {
                String n = "blocks." + l + "." + p + ".weight";
                assertFalse(out.contains(n), n);
                assertEquals(DType.F16, out.get(n + ".lowrank.a").dtype(), "source dtype by default");
                assertEquals(64, out.get(n + ".lowrank.a").rows());
                assertEquals(16, out.get(n + ".lowrank.a").cols());
                assertEquals(16, out.get(n + ".lowrank.b").rows());
            }
            assertTrue(out.contains("blocks." + l + ".att.output.weight"));
            assertTrue(out.contains("blocks." + l + ".ffn.key.weight"));
        }
        Map<String, Object> ranks = Json.parseObject(out.metadata().get(LowRankCompressor.OPERATORS_KEY));
        assertEquals(60, ranks.size());
        assertEquals(16L, ranks.get("blocks.0.att.gate.weight"));
        assertEquals("svd", Json.parseObject(out.metadata().get(LowRankCompressor.MANIFEST_KEY)).get("method"));
        assertEquals(RwkvVersion.V5_2, ModelConfig.of(out).version(), "the gate is still seen when factorised");
        assertEquals(60, r.report().rows().size());
        Map<String, Object> row = r.report().rows().get(0);
        assertEquals(List.of("tensor", "shape", "rank", "bytes_before", "bytes_after", "relative_error", "status"),
                List.copyOf(row.keySet()), "no activation error without calibration");
        assertEquals(64L * 64 * 2, ((Number) row.get("bytes_before")).longValue());
        assertEquals(16L * 128 * 2, ((Number) row.get("bytes_after")).longValue());
        double e = (double) row.get("relative_error");
        assertTrue(e > 0 && e < 1, "relative error " + e);
        assertEquals(weights.byteSize() - 60L * (64 * 64 - 16 * 128) * 2, out.byteSize());
    }

    @Test
    void skipsMatricesWhereFactorsWouldNotBeSmaller() {
        // 64×64 at rank 32: 32·(64 + 64) = 64·64, no saving; FFN key 256×64 at rank 32: 32·320 < 256·64.
        CompressionResult r = run(Map.of("rank", 32, "targets", List.of("blocks.0.att.key.weight",
                "blocks.0.ffn.key.weight")), new int[0]);
        Map<String, Object> skipped = r.report().rows().get(0);
        assertEquals("blocks.0.att.key.weight", skipped.get("tensor"));
        assertTrue(skipped.get("status").toString().startsWith("skipped"), skipped.toString());
        assertEquals(skipped.get("bytes_before"), skipped.get("bytes_after"));
        assertTrue(r.weights().contains("blocks.0.att.key.weight"));
        assertTrue(r.weights().contains("blocks.0.ffn.key.weight.lowrank.a"));
        assertEquals(1, r.report().metrics().get("skipped"));
        assertEquals(1, r.report().metrics().get("factorized"));
        CompressionResult energy = run(Map.of("energy", 1.0, "targets", "blocks.0.att.value.weight"), new int[0]);
        assertTrue(energy.report().rows().get(0).get("status").toString().startsWith("skipped"));
    }

    @Test
    void namedOutputAndFfnKeyValueRunAndActivationErrorIsReported() {
        CompressionResult r = run(Map.of("rank-ratio", 0.25, "method", "activation-aware", "dtype", "bf16",
                "targets", List.of("blocks.*.att.output.weight", "blocks.*.ffn.{key,value}.weight", "head.weight")),
                CALIBRATION);
        ModelWeights out = r.weights();
        assertEquals(37, r.report().rows().size());
        assertFalse(out.contains("blocks.0.ffn.key.weight"));
        assertEquals(DType.BF16, out.get("head.weight.lowrank.a").dtype());
        assertEquals(ModelConfig.of(weights).ffnDim(), ModelConfig.of(out).ffnDim(), "FFN width read through the lowrank operator");
        for (Map<String, Object> row : r.report().rows()) {
            assertEquals("factorized", row.get("status"), row.toString());
            double act = (double) row.get("activation_error");
            double rel = (double) row.get("relative_error");
            assertTrue(act > 0 && act < 1 && rel > 0, row.toString());
        }
        try (RwkvModel m = RwkvModel.of(out, backend, false)) {
            for (float v : m.newSession().evalSequence(new int[] {65, 66, 67})) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void activationAwareHasLowerActivationErrorThanSvdOnEveryMatrix() {
        Map<String, Object> common = Map.of("rank-ratio", 0.125, "targets", "blocks.{0,5,11}.att.*.weight");
        CompressionResult svd = run(common, CALIBRATION);
        java.util.HashMap<String, Object> aaParams = new java.util.HashMap<>(common);
        aaParams.put("method", "activation-aware");
        CompressionResult aa = run(aaParams, CALIBRATION);
        assertEquals(15, svd.report().rows().size());
        for (int i = 0; i < 15; i++) {
            Map<String, Object> s = svd.report().rows().get(i);
            Map<String, Object> a = aa.report().rows().get(i);
            assertTrue((double) a.get("activation_error") <= (double) s.get("activation_error"),
                    s.get("tensor") + ": " + a.get("activation_error") + " > " + s.get("activation_error"));
            assertTrue((double) a.get("relative_error") >= (double) s.get("relative_error") - 1e-6,
                    "plain SVD is Frobenius-optimal: " + s.get("tensor"));
        }
    }

    @Test
    void plainSvdCalibratesOnlyToReportActivationError() {
        Map<String, Object> p = Map.of("targets", "blocks.0.att.key.weight", "activation-error", false);
        DirectContext ctx = new DirectContext(CALIBRATION, 42, backend);
        CompressionResult r = new LowRankCompressorProvider().create(new Params("lowrank", p)).apply(weights, ctx);
        assertEquals(0, ctx.calibrations());
        assertFalse(r.report().rows().get(0).containsKey("activation_error"));
        DirectContext ctx2 = new DirectContext(CALIBRATION, 42, backend);
        new LowRankCompressorProvider().create(new Params("lowrank", Map.of("targets", "blocks.0.att.key.weight")))
                .apply(weights, ctx2);
        assertEquals(1, ctx2.calibrations());
    }

    @Test
    void explainsWhatIsMissing() {
        RwkvException noCalib = assertThrows(RwkvException.class,
                () -> run(Map.of("method", "activation-aware"), new int[0]));
        assertTrue(noCalib.getMessage().contains("calibration"), noCalib.getMessage());
        RwkvException none = assertThrows(RwkvException.class,
                () -> run(Map.of("targets", "blocks.*.att.time_mix_k"), new int[0]));
        assertTrue(none.getMessage().contains("no dense linear map"), none.getMessage());
        RwkvException ov = assertThrows(RwkvException.class, () -> run(Map.of("targets", "blocks.0.att.key.weight",
                "overrides", Map.of("blocks.*.ffn.key.weight", Map.of("rank", 4))), new int[0]));
        assertTrue(ov.getMessage().contains("blocks.*.ffn.key.weight"), ov.getMessage());
    }
}
