package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.tensor.DType;

import java.util.Locale;

/**
 * The parameters of the {@code sparsity} step. Defaults follow PAPER.md §3: MLP rank 64 (§3.3, "balanced"),
 * learning rate 0.005 with Adam, class-weighted BCE, an 80/20 split, OR ensemble (§3.5); the thresholds are not the
 * paper's fixed 0.7 / 0.9 but calibrated per layer to reach {@code target-recall} on held-out calibration tokens.
 *
 * @param predictor      {@code mlp}, {@code 1bit} or {@code ensemble}
 * @param rule           how the ensemble combines ({@code or}, {@code and})
 * @param mlpRank        hidden width h of the MLP
 * @param targetRecall   recall the thresholds are calibrated to (fraction of truly active neurons predicted)
 * @param epochs         passes over the training tokens
 * @param batch          minibatch size
 * @param learningRate   Adam step size
 * @param holdout        fraction of calibration tokens held out (the last ones): the first half of them fits the
 *                       thresholds, the second half measures the reported recall and precision
 * @param maxTokens      calibration tokens kept per layer (the first ones), bounding memory and training time
 * @param signQuantile   a fixed 1-bit quantile (skips calibrating it; with {@code 1bit} no calibration run is needed),
 *                       or NaN to calibrate
 * @param mlpThreshold   a fixed MLP probability threshold, or NaN to calibrate
 * @param predictorDtype how the MLP's P1 and P2 are stored and run: F16 (default, PAPER.md §6 "the MLP predictor
 *                       stays fp16": half the resident bytes) or F32 (the trained floats exactly)
 */
public record SparsityOptions(PredictorKind predictor, EnsembleNeuronPredictor.Rule rule, int mlpRank,
                              double targetRecall, int epochs, int batch, double learningRate, double holdout,
                              int maxTokens, double signQuantile, double mlpThreshold, DType predictorDtype) {

    /** Reads (and consumes) every key; fails naming the step and any unknown key. */
    public static SparsityOptions parse(Params p) {
        String kindId = p.getString("predictor", "ensemble");
        PredictorKind kind = PredictorKind.parse(kindId);
        if (kind == null) {
            throw p.bad("predictor", kindId, "mlp, 1bit or ensemble");
        }
        String ruleId = p.getString("rule", "or");
        EnsembleNeuronPredictor.Rule rule = switch (ruleId.toLowerCase(Locale.ROOT)) {
            case "or" -> EnsembleNeuronPredictor.Rule.OR;
            case "and" -> EnsembleNeuronPredictor.Rule.AND;
            default -> throw p.bad("rule", ruleId, "or or and");
        };
        int rank = p.getInt("mlp-rank", 64);
        if (rank < 1) {
            throw p.bad("mlp-rank", rank, "a positive whole number");
        }
        double recall = p.getDouble("target-recall", 0.99);
        if (!(recall > 0 && recall <= 1)) {
            throw p.bad("target-recall", recall, "a number in (0, 1]");
        }
        int epochs = p.getInt("epochs", 30);
        if (epochs < 1) {
            throw p.bad("epochs", epochs, "a positive whole number");
        }
        int batch = p.getInt("batch", 64);
        if (batch < 1) {
            throw p.bad("batch", batch, "a positive whole number");
        }
        double lr = p.getDouble("learning-rate", 0.005);
        if (!(lr > 0)) {
            throw p.bad("learning-rate", lr, "a positive number");
        }
        double holdout = p.getDouble("holdout", 0.2);
        if (!(holdout > 0 && holdout < 1)) {
            throw p.bad("holdout", holdout, "a number in (0, 1)");
        }
        int maxTokens = p.getInt("max-tokens", 16384);
        if (maxTokens < 10) {
            throw p.bad("max-tokens", maxTokens, "at least 10");
        }
        double q = p.getDouble("sign-quantile", Double.NaN);
        if (!Double.isNaN(q) && !(q >= 0 && q <= 1)) {
            throw p.bad("sign-quantile", q, "a number in [0, 1]");
        }
        double t = p.getDouble("mlp-threshold", Double.NaN);
        if (!Double.isNaN(t) && !(t >= 0 && t <= 1)) {
            throw p.bad("mlp-threshold", t, "a number in [0, 1]");
        }
        String dtypeId = p.getString("predictor-dtype", "f16");
        DType dtype = switch (dtypeId.toLowerCase(Locale.ROOT)) {
            case "f16" -> DType.F16;
            case "f32" -> DType.F32;
            default -> throw p.bad("predictor-dtype", dtypeId, "f16 or f32");
        };
        p.requireAllConsumed();
        return new SparsityOptions(kind, rule, rank, recall, epochs, batch, lr, holdout, maxTokens, q, t, dtype);
    }

    /** True when no calibration run is needed: the 1-bit predictor alone with a fixed quantile. */
    public boolean needsCalibration() {
        return predictor.usesMlp() || Double.isNaN(signQuantile);
    }
}
