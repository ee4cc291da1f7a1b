package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.PredictedSparseOperatorProvider;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The closing measurement (not a unit test): for each tiny model and each predictor, compresses with calibration
 * text from the head of tinyshakespeare, then on text from its tail reports per-layer true/predicted sparsity, recall,
 * precision and FFN bytes per token (measured on the dense model's FFN inputs), and bits per byte and top-1 agreement
 * of the sparse model against the dense one (Evaluator).
 *
 * <p>Arguments: calibration tokens, eval tokens, then model files (default tiny v5.2, v6, v7 FP32). System
 * properties {@code predictors} (comma-separated) and {@code epochs} override the step's defaults.
 */
public final class SparsityEvaluation {
    private SparsityEvaluation() {
    }

    public static void main(String[] args) throws Exception {
        int calTokens = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int evalTokens = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        String[] models = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length)
                : new String[] {"tiny-rwkv-5v2-730K-FP32.bin", "tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-7v0-834K-FP32.bin"};
        String[] predictors = System.getProperty("predictors", "mlp,1bit,ensemble").split(",");
        try (KernelBackend backend = KernelBackends.create("scalar", 1)) {
            for (String file : models) {
                evaluate(file, calTokens, evalTokens, predictors, backend);
            }
        }
    }

    private static void evaluate(String file, int calTokens, int evalTokens, String[] predictors, KernelBackend backend)
            throws Exception {
        try (ModelWeights dense = TinyData.open(file)) {
            ModelConfig cfg = ModelConfig.of(dense);
            int[] cal = TinyData.corpus(file, 0, calTokens);
            int[] eval = TinyData.corpus(file, -65536, evalTokens);
            System.out.printf(Locale.ROOT, "%n## %s (%s, %d layers, C=%d, F=%d): calibration %d tokens, eval %d tokens%n",
                    file, cfg.version(), cfg.nLayer(), cfg.nEmbd(), cfg.ffnDim(), cal.length, eval.length);
            FfnActivationRecorder rec = new FfnActivationRecorder(cfg.nLayer(), cfg.nEmbd(), cfg.ffnDim(), eval.length);
            TinyData.observe(dense, backend, rec, eval);
            for (String kind : predictors) {
                long t0 = System.nanoTime();
                Map<String, Object> p = new HashMap<>(Map.of("predictor", kind));
                if (System.getProperty("epochs") != null) {
                    p.put("epochs", System.getProperty("epochs"));
                }
                CompressionResult res = new SparsityCompressorProvider().create(new Params("sparsity", p))
                        .apply(dense, TinyData.context(cal, 1, backend));
                long t1 = System.nanoTime();
                System.out.printf(Locale.ROOT, "%n### %s: compressed in %.1f s; report metrics %s%n", kind, (t1 - t0) / 1e9,
                        res.report().metrics());
                System.out.println("| layer | true sparsity | predicted sparsity | recall | precision | held-out recall | FFN rows B/token | predictor B/token | dense B/token |");
                System.out.println("|---|---|---|---|---|---|---|---|---|");
                PredictedSparseOperatorProvider provider = new PredictedSparseOperatorProvider();
                double rows = 0;
                double pred = 0;
                double denseBytes = 0;
                for (int l = 0; l < cfg.nLayer(); l++) {
                    LayerActivations a = rec.layer(l);
                    PredictedSparseFfn op = (PredictedSparseFfn) provider.bindFfn(res.weights(), l, cfg.nEmbd(), cfg.ffnDim()).orElseThrow();
                    int rank = res.weights().find("blocks." + l + ".ffn.predictor.p1").map(t -> t.rows()).orElse(1);
                    PredictorQuality q = PredictorQuality.measure(backend, op.predictor(), rank, a, 0, a.tokens(),
                            op.key().rowBytes(), op.valueT().rowBytes());
                    double pb = op.predictor().bytesPerToken();
                    rows += q.bytesPerToken() - pb;
                    pred += pb;
                    denseBytes += op.denseBytesPerToken();
                    System.out.printf(Locale.ROOT, "| %d | %.3f | %.3f | %.4f | %.3f | %.4f | %.0f | %.0f | %d |%n", l,
                            q.trueSparsity(), q.predictedSparsity(), q.recall(), q.precision(),
                            ((Number) res.report().rows().get(l).get("recall")).doubleValue(),
                            q.bytesPerToken() - pb, pb, op.denseBytesPerToken());
                }
                System.out.printf(Locale.ROOT, "FFN bytes/token all layers: rows %.0f + predictor %.0f = %.0f vs dense %.0f (%.2fx rows, %.2fx total)%n",
                        rows, pred, rows + pred, denseBytes, denseBytes / rows, denseBytes / (rows + pred));
                try (RwkvModel sparse = RwkvModel.of(res.weights(), backend, false);
                     RwkvModel ref = RwkvModel.of(dense, backend, false)) {
                    long t2 = System.nanoTime();
                    EvalResult r = Evaluator.evaluate(sparse, ref, eval, null, null);
                    System.out.printf(Locale.ROOT, "eval: bits/byte %.4f (dense %.4f), top-1 agreement %.4f, KL %.5f (%.1f s)%n",
                            r.bitsPerByte(), r.referenceBitsPerByte(), r.top1Agreement(), r.kl(), (System.nanoTime() - t2) / 1e9);
                }
            }
        }
    }
}
