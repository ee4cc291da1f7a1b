package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.CachedEmbedding;
import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.operators.HeadStats;
import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Measurement run (a main, not a test): {@code cluster-head} on the tiny byte-level models (vocab 256, so K is small
 * and the numbers say little about a 65536-token vocabulary) for several K and p-min, scored by the evaluator
 * against the dense model on held-out text (clusters and head share counted on that text); and the embedding cache's hit rate on their byte streams.
 *
 * <p>Arguments: {@code calibrationTokens evalTokens model:K1,K2:p1,p2[:prior[:vectors]] ...}.
 */
public final class TinyClusterMeasurements {
    private TinyClusterMeasurements() {
    }

    public static void main(String[] args) throws Exception {
        int calTokens = Integer.parseInt(args[0]);
        int evalTokens = Integer.parseInt(args[1]);
        System.out.println("| model | clustered | K | p-min | k-min | prior | clusters/token mean | p95 | head share mean | p95 | top-1 agreement | KL nats | bpb clustered | bpb dense | H1 KL held-out init → trained |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        try (KernelBackend backend = new ScalarBackendProvider().create(1)) {
            for (int a = 2; a < args.length; a++) {
                String[] spec = args[a].split(":");
                String file = spec[0];
                String[] ks = spec[1].split(",");
                String[] ps = spec[2].split(",");
                String prior = spec.length > 3 ? spec[3] : "calibrated";
                String vectors = spec.length > 4 ? spec[4] : "head";
                int[] cal = TinyData.tokens(file, 0, calTokens);
                int[] held = TinyData.tokens(file, 500_000, evalTokens);
                try (ModelWeights w = TinyData.model(file); RwkvModel dense = RwkvModel.of(w, backend, false)) {
                    for (String k : ks) {
                        for (String p : ps) {
                            Map<String, Object> params = new HashMap<>(Map.of("clusters", Integer.parseInt(k),
                                    "p-min", Double.parseDouble(p), "k-min", 1, "k-max", 1000, "epochs", 10, "prior", prior,
                                    "vectors", vectors));
                            CompressionResult r = new ClusterHeadProvider().create(new Params("cluster-head", params))
                                    .apply(w, new DirectContext(cal, 1, backend));
                            Map<String, Object> m = r.report().metrics();
                            ClusteredHead counter = (ClusteredHead) Operators.linear(r.weights(), "head.weight",
                                    dense.config().nVocab(), dense.config().nEmbd());
                            float[] scratch = new float[counter.scratchPerToken()];
                            float[] sink = new float[dense.config().nVocab()];
                            ActivationObserver count = (name, in, inOff, cols, out, outOff, rows, n) -> {
                                if (name.equals("head.weight")) {
                                    for (int t = 0; t < n; t++) {
                                        counter.apply(backend, in, inOff + t * cols, sink, 0, 1, scratch);
                                    }
                                }
                            };
                            try (RwkvModel clustered = RwkvModel.observed(r.weights(), backend, count)) {
                                EvalResult e = Evaluator.evaluate(clustered, dense, held, null, null);
                                HeadStats.Snapshot s = counter.stats().snapshot();
                                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | 1 | %s | %.2f | %.0f | %.3f | %.3f | %.4f | %.5f | %.4f | %.4f | %.4f → %.4f |%n",
                                        file, vectors, m.get("clusters"), p, prior, s.meanClusters(), s.p95Clusters(),
                                        s.meanHeadShare(), s.p95HeadShare(), e.top1Agreement(), e.kl(), e.bitsPerByte(),
                                        e.referenceBitsPerByte(), m.get("h1_kl_init_held_out"), m.get("h1_kl_held_out"));
                            }
                        }
                    }
                }
            }
        }
        System.out.println();
        System.out.println("| byte stream (vocab 256) | capacity | hit rate |");
        System.out.println("|---|---|---|");
        int[] bytes = TinyData.tokens("utf8", 0, 200_000);
        for (int cap : new int[] {16, 32, 64, 128}) {
            System.out.printf(Locale.ROOT, "| tinyshakespeare UTF-8, 200k bytes | %d | %.4f |%n", cap, hitRate(bytes, cap));
        }
    }

    static double hitRate(int[] tokens, int capacity) {
        CachedEmbedding c = new CachedEmbedding(new EmbeddingSource() {
            @Override
            public void lookup(int token, float[] out, int off) {
                out[off] = token;
            }

            @Override
            public String kind() {
                return "ids";
            }
        }, capacity, 1);
        float[] o = new float[1];
        for (int t : tokens) {
            c.lookup(t, o, 0);
        }
        return c.hitRate();
    }
}
