package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.NeuronPredictor;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thresholds fitted on recorded tokens give at least the target recall on those tokens, for each predictor and both
 * ensemble rules, while still skipping neurons.
 */
class ThresholdCalibratorTest {
    private static final int C = 32;
    private static final int F = 96;
    private static final int N = 400;

    private static KernelBackend backend;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @ParameterizedTest
    @CsvSource({"mlp, or, 0.95", "1bit, or, 0.95", "ensemble, or, 0.95", "ensemble, and, 0.9", "ensemble, or, 0.99"})
    void fittedThresholdsReachTargetOnFitTokens(String kind, String rule, double target) {
        SplittableRandom r = new SplittableRandom(9);
        float[] key = gaussian(r, F * C, 1);
        LayerActivations data = new LayerActivations(C, F);
        float[] out = new float[F];
        for (int t = 0; t < N; t++) {
            float[] x = gaussian(r, C, 1);
            for (int j = 0; j < F; j++) {
                float s = -1.0f;
                for (int i = 0; i < C; i++) {
                    s += key[j * C + i] * x[i];
                }
                out[j] = s;
            }
            data.add(x, 0, out, 0);
        }
        int h = 8;
        MlpNeuronPredictor mlp0 = MlpNeuronPredictor.ofFloats(gaussian(r, h * C, 0.3), gaussian(r, F * h, 0.3), new float[F], C, F, 0.5);
        byte[] bits = SignNeuronPredictor.pack(key, C, F, 0f);
        SignNeuronPredictor sign0 = new SignNeuronPredictor(bits, C, F, 0.5);
        PredictorKind k = PredictorKind.parse(kind);
        ThresholdCalibrator cal = new ThresholdCalibrator(backend, data, 0, N, k.usesMlp() ? mlp0 : null, k.usesSign() ? sign0 : null);
        EnsembleNeuronPredictor.Rule ru = rule.equals("or") ? EnsembleNeuronPredictor.Rule.OR : EnsembleNeuronPredictor.Rule.AND;
        NeuronPredictor p = switch (k) {
            case MLP -> withMlp(mlp0, cal.mlpOnly(target));
            case SIGN -> new SignNeuronPredictor(bits, C, F, (float) cal.signOnly(target));
            case ENSEMBLE -> {
                ThresholdCalibrator.Thresholds th = cal.ensemble(target, ru, Double.NaN, Double.NaN);
                yield new EnsembleNeuronPredictor(withMlp(mlp0, th.mlpThreshold()),
                        new SignNeuronPredictor(bits, C, F, (float) th.signQuantile()), ru);
            }
        };
        PredictorQuality q = PredictorQuality.measure(backend, p, h, data, 0, N, 4L * C, 4L * C);
        assertTrue(q.recall() >= target, "recall " + q);
        assertTrue(q.predictedSparsity() > 0.01, "still skips neurons: " + q);
    }

    private static MlpNeuronPredictor withMlp(MlpNeuronPredictor m, double threshold) {
        return m.withThreshold((float) threshold);
    }

    private static float[] gaussian(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }
}
