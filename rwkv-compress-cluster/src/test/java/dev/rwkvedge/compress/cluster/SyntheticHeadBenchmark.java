package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.operators.HeadStats;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.tokenizer.Tokenizers;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark (a main, not a test) of the clustered head on a synthetic 169M-class model (RWKV-5.2, 12 × 768, vocab
 * 65536, F16, seed 1) with the scalar backend: head time and bytes per token against the dense head, share of the
 * head computed, agreement and KL against the dense head on hidden states of real text (world tokens of
 * tinyshakespeare), and the embedding cache's hit rate on that token stream.
 *
 * <p>A synthetic model has random (low-rank plus noise) weights, so its cluster distributions are flatter than a
 * trained model's; the share of the head computed is therefore a pessimistic figure.
 *
 * <p>Arguments: {@code calibrationTokens measuredTokens pcaDims kmeansIterations epochs}.
 */
public final class SyntheticHeadBenchmark {
    private SyntheticHeadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int calN = Integer.parseInt(args[0]);
        int measureN = Integer.parseInt(args[1]);
        int pcaDims = Integer.parseInt(args[2]);
        int iterations = Integer.parseInt(args[3]);
        int epochs = Integer.parseInt(args[4]);
        String text = Files.readString(Fixtures.require("corpus/tinyshakespeare.txt"));
        int[] world = Tokenizers.forName("world", Fixtures.require("tokenizers/rwkv_vocab_v20230424.txt")).encode(text);
        System.out.printf(Locale.ROOT, "world tokens of tinyshakespeare: %d%n", world.length);
        System.out.println("| embedding cache, world tokens (vocab 65536) | capacity | hit rate | cache bytes (F32 rows, D 768) | table bytes (F16) |");
        System.out.println("|---|---|---|---|---|");
        for (int cap : new int[] {250, 500, 1000, 2000, 4000}) {
            System.out.printf(Locale.ROOT, "| tinyshakespeare, %d tokens | %d | %.4f | %d | %d |%n", world.length, cap,
                    TinyClusterMeasurements.hitRate(world, cap), 4L * cap * 768, 2L * 65536 * 768);
        }

        long t0 = System.nanoTime();
        ModelWeights w = SyntheticModel.generate(new SynthSpec(RwkvVersion.V5_2, 12, 768, 65536, 0, 64, DType.F16, 1));
        System.out.printf(Locale.ROOT, "synthetic model: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        try (KernelBackend backend = new ScalarBackendProvider().create(1)) {
            int[] cal = Arrays.copyOfRange(world, 0, calN);
            int[] measured = Arrays.copyOfRange(world, 100_000, 100_000 + measureN);
            t0 = System.nanoTime();
            CompressionResult r = new ClusterHeadProvider().create(new Params("cluster-head", Map.of(
                    "clusters", 200, "pca-dims", pcaDims, "iterations", iterations, "epochs", epochs)))
                    .apply(w, new DirectContext(cal, 1, backend));
            System.out.printf(Locale.ROOT, "cluster-head: %.1f s, report %s%n", (System.nanoTime() - t0) / 1e9,
                    r.report().metrics());

            float[] states = new float[measureN * 768];
            int[] filled = {0};
            try (RwkvModel m = RwkvModel.observed(w, backend, (name, in, inOff, cols, out, outOff, rows, n) -> {
                if (name.equals("head.weight")) {
                    System.arraycopy(in, inOff, states, filled[0] * cols, n * cols);
                    filled[0] += n;
                }
            })) {
                Session s = m.newSession();
                s.evalSequenceAllLogits(measured);
            }
            Tensor dense = w.get("head.weight");
            float[][] denseOut = new float[measureN][65536];
            double denseMs = time(() -> {
                for (int t = 0; t < measureN; t++) {
                    backend.matmul(dense, states, t * 768, denseOut[t], 0, 1);
                }
            }) / measureN;
            System.out.println();
            System.out.println("| head | p-min | k-max | ms/token | bytes/token | head share mean | p95 | clusters mean | p95 | top-1 agreement | KL nats |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| dense F16 | - | - | %.2f | %d | 1.000 | 1.000 | - | - | 1 | 0 |%n", denseMs, dense.byteSize());
            for (double[] sel : new double[][] {{0.95, 100}, {0.9, 100}, {0.8, 100}, {0.95, 50}, {0.8, 25}}) {
                ModelWeights cw = r.weights().toBuilder()
                        .metadata(ClusteredHeadProvider.META_P_MIN, Double.toString(sel[0]))
                        .metadata(ClusteredHeadProvider.META_K_MAX, Integer.toString((int) sel[1])).build();
                ClusteredHead timing = bind(cw);
                ClusteredHead counting = bind(cw);
                float[] out = new float[65536];
                float[] scratch = new float[timing.scratchPerToken()];
                double ms = time(() -> {
                    for (int t = 0; t < measureN; t++) {
                        timing.apply(backend, states, t * 768, out, 0, 1, scratch);
                    }
                }) / measureN;
                double kl = 0;
                int agree = 0;
                for (int t = 0; t < measureN; t++) {
                    counting.apply(backend, states, t * 768, out, 0, 1, scratch);
                    kl += HoldoutEvaluation.kl(denseOut[t], out);
                    agree += HoldoutEvaluation.argmax(denseOut[t]) == HoldoutEvaluation.argmax(out) ? 1 : 0;
                }
                HeadStats.Snapshot s = counting.stats().snapshot();
                System.out.printf(Locale.ROOT, "| clustered K 200 | %.2f | %d | %.2f | %d | %.3f | %.3f | %.1f | %.0f | %.3f | %.4f |%n",
                        sel[0], (int) sel[1], ms, counting.bytesPerToken(), s.meanHeadShare(), s.p95HeadShare(),
                        s.meanClusters(), s.p95Clusters(), (double) agree / measureN, kl / measureN);
            }
        }
    }

    private static ClusteredHead bind(ModelWeights w) {
        return (ClusteredHead) new ClusteredHeadProvider().bindLinear(w, "head.weight", 65536, 768).orElseThrow();
    }

    /** Milliseconds of the best of 3 timed runs after 2 warm-up runs. */
    private static double time(Runnable r) {
        for (int i = 0; i < 2; i++) {
            r.run();
        }
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }
}
