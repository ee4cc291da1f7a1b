package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.operators.LowRankLinear;
import dev.rwkvedge.operators.RwkvLiteLinear;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.KernelBackendProvider;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import dev.rwkvedge.testing.Fixtures;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runtime side: the lowrank and RWKV-Lite operators compute what they claim, on every available backend. */
class OperatorsTest {
    private static List<KernelBackendProvider> backends() {
        List<KernelBackendProvider> out = new ArrayList<>();
        for (KernelBackendProvider p : KernelBackends.registry().all()) {
            if (p.probe().supported()) {
                out.add(p);
            }
        }
        assertFalse(out.isEmpty());
        return out;
    }

    private static DMatrixRMaj random(int m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int i = 0; i < a.data.length; i++) {
            a.data[i] = r.nextGaussian() * 0.2;
        }
        return a;
    }

    @Test
    void lowRankEqualsDenseProductOfItsFactorsOnEveryBackend() {
        int m = 96;
        int n = 64;
        int r = 12;
        int tokens = 5;
        for (DType dt : new DType[] {DType.F32, DType.F16}) {
            Tensor a = TensorMatrices.toTensor("w.lowrank.a", random(m, r, 1), dt);
            Tensor b = TensorMatrices.toTensor("w.lowrank.b", random(r, n, 2), dt);
            Tensor dense = TensorMatrices.toTensor("w", CommonOps_DDRM.mult(TensorMatrices.toMatrix(a),
                    TensorMatrices.toMatrix(b), null), DType.F32);
            LowRankLinear op = new LowRankLinear(a, b);
            float[] x = new float[tokens * n];
            SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            for (KernelBackendProvider p : backends()) {
                try (KernelBackend be = p.create(1)) {
                    float[] got = new float[tokens * m];
                    float[] want = new float[tokens * m];
                    op.apply(be, x, 0, got, 0, tokens, new float[tokens * op.scratchPerToken()]);
                    be.matmul(dense, x, 0, want, 0, tokens);
                    for (int i = 0; i < got.length; i++) {
                        // F16 factors round the activation (and the intermediate) to binary16 before each product.
                        double tol = dt == DType.F32 ? 1e-4 : 2e-2;
                        assertEquals(want[i], got[i], tol * (1 + Math.abs(want[i])), p.name() + " " + dt + " at " + i);
                    }
                }
            }
        }
    }

    private static Tensor t(String name, float[] v, long... shape) {
        return Tensor.ofFloats(name, v, shape);
    }

    /**
     * x = (1, 2); W1 = [[1, 0], [0, −1], [1, 1]] gives W1·x = (1, −2, 3), ReLU² = (1, 0, 9);
     * W2 = [[1, 2, 0.5], [0, 1, −1]] gives (5.5, −9); d = (0.5, −1) adds d⊙x = (0.5, −2): y = (6, −11).
     * Without ReLU² and diagonal (x058): W2·(1, −2, 3) = (−1.5, −5). Second token x = (−1, 0): W1·x = (−1, 0, −1),
     * ReLU² = 0, so x059 gives d⊙x = (−0.5, 0) and x058 W2·(−1, 0, −1) = (−1.5, 1).
     */
    @Test
    void rwkvLiteFormsMatchHandComputedValues() {
        Tensor w1 = t("w1", new float[] {1, 0, 0, -1, 1, 1}, 3, 2);
        Tensor w2 = t("w2", new float[] {1, 2, 0.5f, 0, 1, -1}, 2, 3);
        Tensor d = t("d", new float[] {0.5f, -1});
        float[] x = {1, 2, -1, 0};
        for (KernelBackendProvider p : backends()) {
            try (KernelBackend be = p.create(1)) {
                RwkvLiteLinear x059 = new RwkvLiteLinear(RwkvLiteLinear.Form.X059, w1, w2, d);
                RwkvLiteLinear x058 = new RwkvLiteLinear(RwkvLiteLinear.Form.X058, w1, w2, null);
                float[] y = new float[4];
                x059.apply(be, x, 0, y, 0, 2, new float[2 * x059.scratchPerToken()]);
                assertArrayEquals(new float[] {6, -11, -0.5f, 0}, y, 1e-6f, p.name());
                x058.apply(be, x, 0, y, 0, 2, new float[2 * x058.scratchPerToken()]);
                assertArrayEquals(new float[] {-1.5f, -5, -1.5f, 1}, y, 1e-6f, p.name());
                assertEquals("rwkv-lite-x059", x059.kind());
                assertEquals(3, x059.rank());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new RwkvLiteLinear(RwkvLiteLinear.Form.X059, w1, w2, null));
        assertThrows(IllegalArgumentException.class,
                () -> new RwkvLiteLinear(RwkvLiteLinear.Form.X059, t("w1", new float[6], 2, 3), t("w2", new float[4], 2, 2),
                        t("d", new float[2])));
    }

    /** The RWKV-Lite projections of a v5.2 model: r, k, v, g of the time mix and r of the channel mix. */
    private static final String[] LITE = {"att.receptance", "att.key", "att.value", "att.gate", "ffn.receptance"};

    /**
     * A RWKV-Lite x058 checkpoint made from the tiny v5.2 model by full-rank SVD ({@code <p>1.weight = √Σ Vᵀ},
     * {@code <p>2.weight = U √Σ}, PAPER.md §2.2) is detected as v5.2 and reproduces the dense model's logits; adding
     * {@code <p>_diag} tensors turns every projection into x059.
     */
    @Test
    void rwkvLiteCheckpointsBindByKeyNames() throws IOException {
        try (ModelWeights w = WeightFormats.open(Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin"));
             KernelBackend be = KernelBackends.create("scalar", 1)) {
            ModelWeights.Builder lite = w.toBuilder();
            ModelConfig cfg = ModelConfig.of(w);
            for (int l = 0; l < cfg.nLayer(); l++) {
                for (String p : LITE) {
                    String name = "blocks." + l + "." + p;
                    Tensor dense = w.get(name + ".weight");
                    Svd.Factors f = Svd.full(TensorMatrices.toMatrix(dense)).sqrtSplit(Math.min(dense.rows(), dense.cols()));
                    lite.remove(name + ".weight")
                            .put(TensorMatrices.toTensor(name + "1.weight", f.b(), DType.F32))
                            .put(TensorMatrices.toTensor(name + "2.weight", f.a(), DType.F32));
                }
            }
            ModelWeights x058 = lite.build();
            assertEquals(RwkvVersion.V5_2, ModelConfig.of(x058).version());
            assertEquals("rwkv-lite-x058", Operators.linear(x058, "blocks.3.att.gate.weight", 64, 64).kind());
            int[] tokens = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};
            try (RwkvModel a = RwkvModel.of(w, be, false); RwkvModel b = RwkvModel.of(x058, be, false)) {
                Session sa = a.newSession();
                Session sb = b.newSession();
                for (int t : tokens) {
                    float[] la = sa.eval(t);
                    float[] lb = sb.eval(t);
                    for (int i = 0; i < la.length; i++) {
                        assertEquals(la[i], lb[i], 2e-4, "token " + t + " logit " + i);
                    }
                }
            }
            ModelWeights.Builder withDiag = x058.toBuilder();
            for (int l = 0; l < cfg.nLayer(); l++) {
                for (String p : LITE) {
                    withDiag.put(t("blocks." + l + "." + p + "_diag", new float[64], 64));
                }
            }
            ModelWeights x059 = withDiag.build();
            LinearOperator op = Operators.linear(x059, "blocks.0.ffn.receptance.weight", 64, 64);
            assertEquals("rwkv-lite-x059", op.kind());
            try (RwkvModel m = RwkvModel.of(x059, be, false)) {
                float[] logits = m.newSession().evalSequence(tokens);
                for (float v : logits) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }
}
