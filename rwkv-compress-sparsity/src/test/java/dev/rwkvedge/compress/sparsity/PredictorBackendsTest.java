package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.PredictedSparseOperatorProvider;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sparse FFN's neuron selection on a tiny real model (ensemble predictor, F16 MLP as the step stores it, read
 * back from the written container as the runtime maps it) is the same on the scalar and the vector backend, token by
 * token on unseen text, except for neurons whose MLP logit lies within {@link #EPS} of the threshold: there the
 * backends' float32 summation orders (and, for F16, where a hidden value rounds to binary16) may decide differently.
 * "Within" is judged by a float64 logit computed here from the dequantized factors, with the activations rounded to
 * binary16 as the F16 contract says (x before P1, the hidden vector before P2).
 */
class PredictorBackendsTest {
    /**
     * Logit distance from the threshold inside which the two backends may disagree, and the bound on how far either
     * backend's logits may be from the float64 ones. Where a hidden value lies next to a binary16 rounding boundary,
     * float32 sums in different orders round it to neighbouring halves, one binary16 step apart (2⁻⁸ for values in
     * [4, 8)), which P2 carries into the logits: the measured worst case is a few 1e-3 on these models.
     */
    private static final double EPS = 1e-2;
    private static KernelBackend scalar;
    private static KernelBackend vector;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        scalar = KernelBackends.create("scalar", 1);
        vector = KernelBackends.create("vector", 2);
    }

    @AfterAll
    static void close() {
        scalar.close();
        vector.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-5v2-730K-FP32.bin", "tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-7v0-834K-FP32.bin"})
    void selectionAgreesExceptAtTheThreshold(String file) throws Exception {
        Path out = dir.resolve("sparse.rwkv-edge");
        try (ModelWeights dense = TinyData.open(file)) {
            Map<String, Object> p = Map.of("predictor", "ensemble", "mlp-rank", 16, "epochs", 4);
            ModelWeights sparse = Compressors.registry().forName("sparsity").create(new Params("sparsity", p))
                    .apply(dense, TinyData.context(TinyData.corpus(file, 0, 2000), 3, scalar)).weights();
            WeightFormats.registry().forName("rwkv-edge").write(sparse, out, WriteOptions.keep());
            ModelConfig cfg = ModelConfig.of(dense);
            int c = cfg.nEmbd();
            int f = cfg.ffnDim();
            FfnActivationRecorder rec = new FfnActivationRecorder(cfg.nLayer(), c, f, 10_000);
            TinyData.observe(dense, scalar, rec, TinyData.corpus(file, -8192, 600));
            try (ModelWeights back = WeightFormats.open(out)) {
                PredictedSparseOperatorProvider provider = new PredictedSparseOperatorProvider();
                long decisions = 0;
                long near = 0;
                long differ = 0;
                double worstLogit = 0;
                double worstRef = 0;
                for (int l = 0; l < cfg.nLayer(); l++) {
                    LayerActivations a = rec.layer(l);
                    PredictedSparseFfn op = (PredictedSparseFfn) provider.bindFfn(back, l, c, f).orElseThrow();
                    MlpNeuronPredictor mlp = ((EnsembleNeuronPredictor) op.predictor()).mlp();
                    assertEquals(DType.F16, mlp.p1().dtype());
                    float[] w1 = mlp.p1().toFloatArray();
                    float[] w2 = mlp.p2().toFloatArray();
                    float[] bias = back.get("blocks." + l + ".ffn.predictor.p2_bias").toFloatArray();
                    int h = mlp.rank();
                    double cut = mlp.logitThreshold();
                    SparseWorkspace wsS = new SparseWorkspace(c, f, h);
                    SparseWorkspace wsV = new SparseWorkspace(c, f, h);
                    float[] logitS = new float[f];
                    float[] logitV = new float[f];
                    int[] selS = new int[f];
                    int[] selV = new int[f];
                    double[] ref = new double[f];
                    for (int t = 0; t < a.tokens(); t++) {
                        int off = t * c;
                        reference(w1, w2, bias, a.inputs(), off, c, h, f, ref);
                        mlp.logits(scalar, a.inputs(), off, new float[h], logitS);
                        mlp.logits(vector, a.inputs(), off, new float[h], logitV);
                        boolean[] nearCut = new boolean[f];
                        for (int j = 0; j < f; j++) {
                            worstLogit = Math.max(worstLogit, Math.abs(logitS[j] - logitV[j]));
                            worstRef = Math.max(worstRef, Math.max(Math.abs(logitS[j] - ref[j]), Math.abs(logitV[j] - ref[j])));
                            nearCut[j] = Math.abs(ref[j] - cut) < EPS;
                            near += nearCut[j] ? 1 : 0;
                        }
                        boolean[] inS = members(selS, op.predictor().select(scalar, a.inputs(), off, selS, wsS), f);
                        boolean[] inV = members(selV, op.predictor().select(vector, a.inputs(), off, selV, wsV), f);
                        for (int j = 0; j < f; j++) {
                            decisions++;
                            if (inS[j] != inV[j]) {
                                differ++;
                                assertTrue(nearCut[j], String.format(Locale.ROOT, "%s layer %d token %d neuron %d: "
                                        + "scalar %s, vector %s, but its logit %.6f (scalar %.6f, vector %.6f) is not "
                                        + "within %.0e of the cut %.6f", file, l, t, j, inS[j], inV[j], ref[j],
                                        logitS[j], logitV[j], EPS, cut));
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "%s: %d decisions, %d differ between scalar and vector, %d MLP logits "
                        + "within %.0e of the cut; max |scalar - vector| logit %.2e, max |backend - float64| %.2e%n",
                        file, decisions, differ, near, EPS, worstLogit, worstRef);
                assertTrue(decisions > 100_000, "too few decisions to mean anything: " + decisions);
                assertTrue(worstRef < EPS, "a backend's logits differ from the float64 ones by " + worstRef);
            }
        }
    }

    private static boolean[] members(int[] selected, int n, int f) {
        boolean[] in = new boolean[f];
        for (int s = 0; s < n; s++) {
            in[selected[s]] = true;
        }
        return in;
    }

    /** {@code P2·round16(relu(P1·round16(x))) + b} in float64 from the dequantized F16 factors. */
    private static void reference(float[] w1, float[] w2, float[] bias, float[] x, int off, int c, int h, int f,
                                  double[] out) {
        double[] hid = new double[h];
        for (int k = 0; k < h; k++) {
            double s = 0;
            for (int i = 0; i < c; i++) {
                s += (double) w1[k * c + i] * Half.roundToF16(x[off + i]);
            }
            hid[k] = Half.roundToF16((float) Math.max(0, s));
        }
        for (int j = 0; j < f; j++) {
            double s = bias[j];
            for (int k = 0; k < h; k++) {
                s += (double) w2[j * h + k] * hid[k];
            }
            out[j] = s;
        }
    }
}
