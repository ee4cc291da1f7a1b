package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compresses a tiny real model with the {@code lowrank} compressor at several rank ratios and both methods, and
 * scores each result on held-out text with {@link Evaluator} against the dense model: model bytes, bits per byte,
 * top-1 agreement and KL. Shared by the CI-sized test and the full-size table.
 */
final class TinyModelTable {
    static final double[] RATIOS = {0.5, 0.25, 0.125};
    static final String[] METHODS = {"svd", "activation-aware"};

    /** One cell of the table. */
    record Row(String model, double ratio, String method, long bytes, double bitsPerByte, double agreement,
               double kl, int factorized) {
    }

    /** The dense model's own figures. */
    record Dense(String model, long bytes, double bitsPerByte) {
    }

    private TinyModelTable() {
    }

    static List<Row> run(String file, Corpus corpus, int calibrationTokens, int evalTokens, List<Dense> dense) {
        List<Row> rows = new ArrayList<>();
        try (ModelWeights w = WeightFormats.open(Fixtures.require("models/tiny/" + file));
             KernelBackend be = KernelBackends.create("scalar", 1)) {
            RwkvVersion v = ModelConfig.of(w).version();
            int[] calib = corpus.calibration(v, calibrationTokens);
            int[] eval = corpus.evaluation(v, evalTokens);
            int[] tokenBytes = Corpus.tokenBytes(v, eval.length);
            try (RwkvModel ref = RwkvModel.of(w, be, false)) {
                EvalResult d = Evaluator.evaluate(ref, null, eval, tokenBytes, null);
                dense.add(new Dense(file, w.byteSize(), d.bitsPerByte()));
                for (double ratio : RATIOS) {
                    for (String method : METHODS) {
                        DirectContext ctx = new DirectContext(calib, 42, be);
                        CompressionResult r = new LowRankCompressorProvider()
                                .create(new Params("lowrank", Map.of("rank-ratio", ratio, "method", method,
                                        "activation-error", false)))
                                .apply(w, ctx);
                        try (RwkvModel m = RwkvModel.of(r.weights(), be, false)) {
                            EvalResult e = Evaluator.evaluate(m, ref, eval, tokenBytes, null);
                            rows.add(new Row(file, ratio, method, r.weights().byteSize(), e.bitsPerByte(),
                                    e.top1Agreement(), e.kl(), ((Number) r.report().metrics().get("factorized")).intValue()));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    static String format(List<Dense> dense, List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %-6s %-17s %10s %8s %9s %8s %5s%n", "model", "ratio", "method",
                "bytes", "bpb", "top1", "KL", "mats"));
        for (Dense d : dense) {
            sb.append(String.format(Locale.ROOT, "%-28s %-6s %-17s %10d %8.4f %9s %8s %5s%n", d.model(), "-",
                    "dense", d.bytes(), d.bitsPerByte(), "1", "0", "-"));
            for (Row r : rows) {
                if (r.model().equals(d.model())) {
                    sb.append(String.format(Locale.ROOT, "%-28s %-6s %-17s %10d %8.4f %9.4f %8.5f %5d%n", r.model(),
                            r.ratio(), r.method(), r.bytes(), r.bitsPerByte(), r.agreement(), r.kl(), r.factorized()));
                }
            }
        }
        return sb.toString();
    }
}
