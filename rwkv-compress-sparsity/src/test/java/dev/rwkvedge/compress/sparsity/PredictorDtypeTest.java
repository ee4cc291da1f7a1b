package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code sparsity} step's {@code predictor-dtype} (PAPER.md §6, "the MLP predictor stays fp16") on a tiny real
 * model: F16 by default and exactly the round-to-nearest-even of the factors the F32 setting stores (same seed, same
 * training); both survive a container round trip bit for bit and give the same logits after it; F32 models (what the
 * step wrote before F16 became the default) still load and run; the memory account's {@code predictors} row is the
 * stored bytes, summed here by hand from the shapes.
 */
class PredictorDtypeTest {
    private static final String MODEL = "tiny-rwkv-5v2-730K-FP32.bin";
    private static final int RANK = 16;
    private static KernelBackend backend;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static CompressionResult compress(ModelWeights w, String predictor, String dtype) throws Exception {
        Map<String, Object> p = new HashMap<>(Map.of("predictor", predictor, "mlp-rank", RANK, "epochs", 2));
        if (dtype != null) {
            p.put("predictor-dtype", dtype);
        }
        return Compressors.registry().forName("sparsity").create(new Params("sparsity", p))
                .apply(w, TinyData.context(TinyData.corpus(MODEL, 0, 600), 42, backend));
    }

    @Test
    void defaultIsF16RoundedFromTheSameTrainedFactors() throws Exception {
        try (ModelWeights w = TinyData.open(MODEL)) {
            CompressionResult byDefault = compress(w, "mlp", null);
            CompressionResult f32 = compress(w, "mlp", "f32");
            assertEquals("f16", byDefault.report().metrics().get("predictor_dtype"));
            int layers = ModelConfig.of(w).nLayer();
            for (int l = 0; l < layers; l++) {
                for (String part : new String[] {SparseFfnTensors.P1, SparseFfnTensors.P2}) {
                    Tensor half = byDefault.weights().get(SparseFfnTensors.name(l, part));
                    Tensor full = f32.weights().get(SparseFfnTensors.name(l, part));
                    assertEquals(DType.F16, half.dtype(), half.name());
                    assertEquals(DType.F32, full.dtype(), full.name());
                    assertArrayEquals(full.shape(), half.shape());
                    short[] bits = half.data().toArray(ValueLayout.JAVA_SHORT_UNALIGNED);
                    float[] trained = full.toFloatArray();
                    for (int i = 0; i < trained.length; i++) {
                        assertEquals(Half.floatToF16(trained[i]), bits[i], half.name() + "[" + i + "]");
                    }
                }
                assertEquals(DType.F32, byDefault.weights().get(SparseFfnTensors.name(l, SparseFfnTensors.P2_BIAS)).dtype());
            }
        }
    }

    @Test
    void unknownDtypeNamesTheParameter() {
        RwkvException e = assertThrows(RwkvException.class, () -> new SparsityCompressorProvider()
                .create(new Params("sparsity", Map.of("predictor-dtype", "q8_0"))));
        assertTrue(e.getMessage().contains("predictor-dtype") && e.getMessage().contains("q8_0")
                && e.getMessage().contains("f16 or f32"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "f32"})
    void containerRoundTripKeepsBitsLogitsAndAccountsStoredBytes(String dtype) throws Exception {
        Path out = dir.resolve("sparse-" + dtype + ".rwkv-edge");
        try (ModelWeights w = TinyData.open(MODEL)) {
            ModelWeights sparse = compress(w, "ensemble", dtype).weights();
            WeightFormats.registry().forName("rwkv-edge").write(sparse, out, WriteOptions.keep());
            ModelConfig cfg = ModelConfig.of(w);
            int c = cfg.nEmbd();
            int f = cfg.ffnDim();
            DType type = DType.parse(dtype);
            try (ModelWeights back = WeightFormats.open(out)) {
                for (int l = 0; l < cfg.nLayer(); l++) {
                    for (String part : List.of(SparseFfnTensors.P1, SparseFfnTensors.P2)) {
                        Tensor t = sparse.get(SparseFfnTensors.name(l, part));
                        Tensor b = back.get(t.name());
                        assertEquals(type, b.dtype(), b.name());
                        assertArrayEquals(t.shape(), b.shape(), b.name());
                        assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), b.data().toArray(ValueLayout.JAVA_BYTE), b.name());
                    }
                }
                int[] tokens = TinyData.corpus(MODEL, -4096, 40);
                try (RwkvModel a = RwkvModel.of(sparse, backend, false); RwkvModel b = RwkvModel.of(back, backend, false)) {
                    Session sa = a.newSession();
                    Session sb = b.newSession();
                    for (int t : tokens) {
                        assertArrayEquals(sa.eval(t), sb.eval(t), 0f);
                    }
                    // Per layer: P1 (h×C) and P2 (F×h) at the stored element size; the bias (F) and threshold decoded
                    // to float32; the sign bits (F×⌈C/8⌉ bytes), quantile and rule as stored.
                    long perLayer = type.byteSize((long) RANK * c + (long) f * RANK) + 4L * f + 4
                            + (long) f * ((c + 7) / 8) + 4 + 4;
                    long predictors = b.memoryAccount().components().get(Component.PREDICTORS).resident();
                    assertEquals(cfg.nLayer() * perLayer, predictors, "resident predictor bytes, " + dtype);
                }
            }
        }
    }
}
