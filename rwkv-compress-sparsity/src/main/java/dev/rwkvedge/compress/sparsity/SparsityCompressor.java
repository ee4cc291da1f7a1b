package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.NeuronPredictor;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code sparsity} step (PAPER.md §3): runs the calibration tokens, records every layer's FFN input and active
 * neurons, builds the requested predictor per layer (trained MLP, 1-bit key signs, or both), calibrates its
 * thresholds on held-out tokens to the target recall, and replaces the dense {@code ffn.key}/{@code ffn.value} by the
 * neuron-major rows and predictor tensors of {@link SparseFfnTensors}. The key keeps its mapped view (it is already
 * one neuron per row); only the value is rewritten, transposed. The MLP's factors are stored in
 * {@code predictor-dtype} ({@link PredictorFactors}), and thresholds and recall are measured with those stored
 * factors on the pipeline's backend, as the runtime will run them.
 */
final class SparsityCompressor implements Compressor {
    private final SparsityOptions options;

    SparsityCompressor(SparsityOptions options) {
        this.options = options;
    }

    @Override
    public CompressionResult apply(ModelWeights weights, CompressionContext context) {
        ModelConfig config = ModelConfig.of(weights);
        int layers = config.nLayer();
        int embd = config.nEmbd();
        int ffn = config.ffnDim();
        for (int l = 0; l < layers; l++) {
            for (String s : new String[] {"key", "value"}) {
                Tensor t = weights.get("blocks." + l + ".ffn." + s + ".weight");
                if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                    throw new RwkvException("step '" + SparsityCompressorProvider.NAME + "': " + t + " is " + t.dtype()
                            + "; the predicted-sparse FFN reads F32, F16 or BF16 rows, so run this step before quantizing");
                }
            }
        }
        FfnActivationRecorder recorder = new FfnActivationRecorder(layers, embd, ffn, options.maxTokens());
        if (options.needsCalibration()) {
            context.calibrate(weights, recorder, false);
        }
        long[] seeds = new long[layers];
        for (int l = 0; l < layers; l++) {
            seeds[l] = context.random().nextLong();
        }
        ModelWeights.Builder out = weights.toBuilder();
        CompressionReport report = new CompressionReport(SparsityCompressorProvider.NAME)
                .metric("predictor", options.predictor().id())
                .metric("target_recall", options.targetRecall());
        if (options.predictor() == PredictorKind.ENSEMBLE) {
            report.metric("rule", options.rule().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (options.predictor().usesMlp()) {
            report.metric("predictor_dtype", options.predictorDtype().id());
        }
        double sumTrue = 0;
        double sumPredicted = 0;
        double bytes = 0;
        double denseBytes = 0;
        int measured = 0;
        try (CompressionContext.Progress progress = context.progress("sparsity predictors", layers)) {
            for (int l = 0; l < layers; l++) {
                LayerResult r = layer(weights, out, l, embd, ffn, recorder.layer(l), seeds[l], context.backend());
                report.row(r.row);
                bytes += r.bytesPerToken;
                denseBytes += r.denseBytesPerToken;
                if (r.quality != null) {
                    sumTrue += r.quality.trueSparsity();
                    sumPredicted += r.quality.predictedSparsity();
                    measured++;
                }
                progress.step(1);
            }
        }
        report.metric("calibration_tokens_per_layer", recorder.layer(0).tokens());
        if (measured > 0) {
            report.metric("mean_true_sparsity", sumTrue / measured);
            report.metric("mean_predicted_sparsity", sumPredicted / measured);
        }
        report.metric("ffn_bytes_per_token", Math.round(bytes));
        report.metric("dense_ffn_bytes_per_token", Math.round(denseBytes));
        out.metadata(ModelConfig.FFN_DIM_KEY, Integer.toString(ffn));
        out.metadata("sparsity.predictor", options.predictor().id());
        out.metadata("sparsity.target_recall", Double.toString(options.targetRecall()));
        return new CompressionResult(out.build(), report);
    }

    private record LayerResult(Map<String, Object> row, PredictorQuality quality, double bytesPerToken,
                               double denseBytesPerToken) {
    }

    private LayerResult layer(ModelWeights weights, ModelWeights.Builder out, int l, int embd, int ffn,
                              LayerActivations act, long seed, KernelBackend backend) {
        String prefix = "blocks." + l + ".ffn.";
        Tensor key = weights.get(prefix + "key.weight");
        Tensor valueT = NeuronMajor.transpose(weights.get(prefix + "value.weight"), SparseFfnTensors.name(l, SparseFfnTensors.VALUE_T));
        int n = act.tokens();
        int trainEnd = (int) Math.floor(n * (1 - options.holdout()));
        int fitEnd = trainEnd + (n - trainEnd) / 2;
        if (options.needsCalibration() && (trainEnd < 1 || fitEnd <= trainEnd || n <= fitEnd)) {
            throw new RwkvException("step '" + SparsityCompressorProvider.NAME + "': layer " + l + " recorded only " + n
                    + " calibration tokens, too few to train, fit thresholds and measure on held-out tokens");
        }
        PredictorKind kind = options.predictor();
        MlpWeights mlpWeights = kind.usesMlp()
                ? new MlpTrainer(options.mlpRank(), options.epochs(), options.batch(), options.learningRate()).train(act, trainEnd, seed)
                : null;
        Tensor p1 = null;
        Tensor p2 = null;
        if (mlpWeights != null) {
            int h = mlpWeights.rank();
            p1 = PredictorFactors.matrix(SparseFfnTensors.name(l, SparseFfnTensors.P1), mlpWeights.p1(), h, embd,
                    options.predictorDtype());
            p2 = PredictorFactors.matrix(SparseFfnTensors.name(l, SparseFfnTensors.P2), mlpWeights.p2(), ffn, h,
                    options.predictorDtype());
        }
        byte[] bits = null;
        float min = 0;
        float max = 0;
        if (kind.usesSign()) {
            float[] k = key.toFloatArray();
            min = Float.POSITIVE_INFINITY;
            max = Float.NEGATIVE_INFINITY;
            for (float v : k) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            bits = SignNeuronPredictor.pack(k, embd, ffn, (min + max) / 2);
        }
        double mlpThreshold = options.mlpThreshold();
        double quantile = options.signQuantile();
        if (options.needsCalibration()) {
            ThresholdCalibrator cal = new ThresholdCalibrator(backend, act, trainEnd, fitEnd,
                    mlpWeights == null ? null : new MlpNeuronPredictor(p1, p2, mlpWeights.bias(), 0.5),
                    bits == null ? null : new SignNeuronPredictor(bits, embd, ffn, 0.5));
            switch (kind) {
                case MLP -> mlpThreshold = Double.isNaN(mlpThreshold) ? cal.mlpOnly(options.targetRecall()) : mlpThreshold;
                case SIGN -> quantile = cal.signOnly(options.targetRecall());
                case ENSEMBLE -> {
                    ThresholdCalibrator.Thresholds t = cal.ensemble(options.targetRecall(), options.rule(), mlpThreshold, quantile);
                    mlpThreshold = t.mlpThreshold();
                    quantile = t.signQuantile();
                }
            }
        }
        float mlpThr = (float) mlpThreshold;
        float signQ = (float) quantile;
        MlpNeuronPredictor mlp = mlpWeights == null ? null : new MlpNeuronPredictor(p1, p2, mlpWeights.bias(), mlpThr);
        SignNeuronPredictor sign = bits == null ? null : new SignNeuronPredictor(bits, embd, ffn, signQ);
        NeuronPredictor predictor = switch (kind) {
            case MLP -> mlp;
            case SIGN -> sign;
            case ENSEMBLE -> new EnsembleNeuronPredictor(mlp, sign, options.rule());
        };

        out.remove(prefix + "key.weight").remove(prefix + "value.weight");
        out.put(key.renamed(SparseFfnTensors.name(l, SparseFfnTensors.KEY)));
        out.put(valueT);
        if (mlp != null) {
            out.put(p1);
            out.put(p2);
            out.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.P2_BIAS), mlpWeights.bias(), ffn));
            out.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.MLP_THRESHOLD), new float[] {mlpThr}, 1));
        }
        if (sign != null) {
            out.put(new Tensor(SparseFfnTensors.name(l, SparseFfnTensors.SIGN), DType.I8,
                    new long[] {ffn, (embd + 7) / 8}, MemorySegment.ofArray(bits)));
            out.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.SIGN_RANGE), new float[] {min, max}, 2));
            out.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.SIGN_QUANTILE), new float[] {signQ}, 1));
        }
        if (mlp != null && sign != null) {
            out.put(new Tensor(SparseFfnTensors.name(l, SparseFfnTensors.RULE), DType.I32, new long[] {1},
                    MemorySegment.ofArray(new int[] {options.rule() == EnsembleNeuronPredictor.Rule.OR ? 0 : 1})));
        }
        out.metadata(SparseFfnTensors.operatorMetadataKey(l), "predicted-sparse");

        Map<String, Object> row = new LinkedHashMap<>();
        row.put("layer", l);
        double dense = key.byteSize() + valueT.byteSize();
        PredictorQuality q = null;
        double bytes;
        if (options.needsCalibration()) {
            q = PredictorQuality.measure(backend, predictor, mlp == null ? 1 : mlp.rank(), act, fitEnd, n, key.rowBytes(),
                    valueT.rowBytes());
            row.put("true_sparsity", q.trueSparsity());
            row.put("predicted_sparsity", q.predictedSparsity());
            row.put("recall", q.recall());
            row.put("precision", q.precision());
            bytes = q.bytesPerToken();
            // Recorded for the memory account: the rows a token reads on held-out tokens (PAPER.md §3.5).
            out.metadata(SparseFfnTensors.keyShareMetadataKey(l), Double.toString(1 - q.predictedSparsity()));
            out.metadata(SparseFfnTensors.valueShareMetadataKey(l), Double.toString(q.valueShare()));
        } else {
            int keep = SignNeuronPredictor.keepCount(signQ, ffn);
            row.put("predicted_sparsity", 1 - (double) keep / ffn);
            out.metadata(SparseFfnTensors.keyShareMetadataKey(l), Double.toString((double) keep / ffn));
            out.metadata(SparseFfnTensors.valueShareMetadataKey(l), null);
            bytes = predictor.bytesPerToken() + keep * (double) (key.rowBytes() + valueT.rowBytes());
        }
        row.put("bytes_per_token", Math.round(bytes));
        row.put("dense_bytes_per_token", Math.round(dense));
        if (mlp != null) {
            row.put("mlp_threshold", mlpThr);
        }
        if (sign != null) {
            row.put("sign_quantile", signQ);
        }
        if (q != null) {
            boolean ok = q.recall() >= options.targetRecall();
            row.put("meets_target", ok);
            row.put("note", ok ? "" : String.format(java.util.Locale.ROOT,
                    "recall %.4f < %.4f on %d held-out tokens: thresholds were fit on the %d tokens before them and"
                            + " do not carry over exactly", q.recall(), options.targetRecall(), n - fitEnd, fitEnd - trainEnd));
        } else {
            row.put("note", "fixed sign-quantile, no calibration: recall not measured (upper bound on bytes: value rows"
                    + " of inactive predicted neurons are skipped at run time)");
        }
        return new LayerResult(row, q, bytes, dense);
    }
}
