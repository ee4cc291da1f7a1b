package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The {@code cluster-head} step (PAPER.md §4): clusters the vocabulary (PCA, then k-means++ seeded from the
 * pipeline), stores the head rows grouped by cluster, distils the cluster head H1 from the dense head on the
 * calibration text, and replaces {@code head.weight} by the {@code head.clusters.*} tensors of the {@code clustered}
 * operator, with the selection settings in metadata. The report gives the cluster sizes, H1's KL before and after
 * training, and on held-out states the agreement, KL, clusters and head share per token (mean and p95) and bytes.
 */
final class ClusterHeadCompressor implements Compressor {
    /** Held-out states the report compares the two heads on, at most (each costs one dense head product). */
    static final int MAX_COMPARED = 256;
    /** Rows sampled to estimate the PCA covariance. */
    static final int PCA_SAMPLE = 8192;

    private final String step;
    private final ClusterHeadSettings settings;

    ClusterHeadCompressor(String step, ClusterHeadSettings settings) {
        this.step = step;
        this.settings = settings;
    }

    @Override
    public CompressionResult apply(ModelWeights weights, CompressionContext context) {
        if (!weights.contains(ClusteredHeadProvider.HEAD)) {
            throw new RwkvException("step '" + step + "': needs the dense head.weight (is the head already compressed?)");
        }
        Tensor head = weights.get(ClusteredHeadProvider.HEAD);
        int vocab = head.rows();
        int dim = head.cols();
        int k = settings.clustersFor(vocab);
        int kMax = Math.min(settings.kMax(), k);
        int kMin = Math.min(settings.kMin(), kMax);
        RandomGenerator random = context.random();

        long t0 = System.nanoTime();
        float[] headRows = head.toFloatArray();
        float[] vectors = settings.vectors().equals("head") ? headRows : weights.get("emb.weight").toFloatArray();
        int[] assign;
        try (CompressionContext.Progress p = context.progress("clustering " + vocab + " tokens into " + k, 2)) {
            float[] projected = Pca.project(vectors, vocab, dim, settings.pcaDims(), PCA_SAMPLE, random);
            p.step(1);
            assign = KMeans.fit(projected, vocab, Math.min(settings.pcaDims(), dim), k, settings.iterations(), random);
            p.step(1);
        }
        long t1 = System.nanoTime();

        CalibrationStates cal = new CalibrationStates(assign, k, dim, settings.maxStates());
        context.calibrate(weights, cal, true);
        int n = cal.count();
        if (n == 0) {
            throw new RwkvException("step '" + step + "': calibration produced no hidden states");
        }
        int holdout = n >= 10 ? Math.min(1024, n / 10) : 0;
        int train = n - holdout;

        int[] offsets = ClusteredLayout.offsets(assign, k);
        float[] w0 = new float[k * dim];
        float[] b0 = new float[k];
        for (int t = 0; t < vocab; t++) {
            int c = assign[t];
            for (int j = 0; j < dim; j++) {
                w0[c * dim + j] += headRows[t * dim + j];
            }
        }
        for (int c = 0; c < k; c++) {
            int size = offsets[c + 1] - offsets[c];
            for (int j = 0; j < dim; j++) {
                w0[c * dim + j] /= size;
            }
            b0[c] = (float) Math.log(size);
        }
        ClusterHeadTrainer trainer = new ClusterHeadTrainer(w0, b0);
        double klInitTrain = trainer.meanKl(cal.states(), cal.targets(), 0, train);
        double klInitHeld = trainer.meanKl(cal.states(), cal.targets(), train, n);
        float[] bestW = trainer.weights();
        float[] bestB = trainer.bias();
        double klTrain = klInitTrain;
        int bestEpoch = 0;
        try (CompressionContext.Progress p = context.progress("distilling the cluster head", settings.epochs())) {
            for (int e = 1; e <= settings.epochs(); e++) {
                trainer.train(cal.states(), cal.targets(), train, 1, settings.lr(), random);
                double kl = trainer.meanKl(cal.states(), cal.targets(), 0, train);
                if (kl < klTrain) {
                    klTrain = kl;
                    bestEpoch = e;
                    bestW = trainer.weights();
                    bestB = trainer.bias();
                }
                p.step(1);
            }
        }
        trainer.restore(bestW, bestB);
        double klHeld = trainer.meanKl(cal.states(), cal.targets(), train, n);
        long t2 = System.nanoTime();

        int[] order = ClusteredLayout.order(assign, k);
        float[] prior = ClusteredLayout.logPrior(order, offsets,
                settings.prior().equals("calibrated") ? cal.tokenMass() : null);
        ModelWeights.Builder b = weights.toBuilder().remove(ClusteredHeadProvider.HEAD);
        long newBytes = 0;
        for (Tensor t : ClusteredLayout.tensors(head, assign, k, trainer.weights(), trainer.bias(), prior)) {
            b.put(t);
            newBytes += t.byteSizeWithScale();
        }
        b.metadata(ClusteredHeadProvider.META_P_MIN, Double.toString(settings.pMin()))
                .metadata(ClusteredHeadProvider.META_K_MIN, Integer.toString(kMin))
                .metadata(ClusteredHeadProvider.META_K_MAX, Integer.toString(kMax))
                .metadata(ClusteredHeadProvider.META_FALLBACK, settings.fallback().id());
        ModelWeights out = b.build();

        ClusteredHead bound = (ClusteredHead) new ClusteredHeadProvider()
                .bindLinear(out, ClusteredHeadProvider.HEAD, vocab, dim).orElseThrow();
        int from = train;
        int to = Math.min(n, train + MAX_COMPARED);
        HoldoutEvaluation eval = HoldoutEvaluation.run(context.backend(), head, bound, cal.states(), from, to);
        if (!Double.isNaN(eval.work().meanHeadShare())) {
            // For the memory account: the share of head rows a token reads, measured on held-out states.
            out = out.toBuilder().metadata(ClusteredHeadProvider.META_EXPECTED_SHARE,
                    Double.toString(eval.work().meanHeadShare())).build();
        }

        CompressionReport r = new CompressionReport(step)
                .metric("vocab", vocab)
                .metric("clusters", k)
                .metric("clustered_vectors", settings.vectors())
                .metric("p_min", settings.pMin())
                .metric("k_min", kMin)
                .metric("k_max", kMax)
                .metric("fallback", settings.fallback().id())
                .metric("prior", settings.prior())
                .metric("calibration_states", n)
                .metric("held_out_states", holdout)
                .metric("h1_kl_init_train", klInitTrain)
                .metric("h1_kl_train", klTrain)
                .metric("h1_best_epoch", bestEpoch)
                .metric("h1_kl_init_held_out", klInitHeld)
                .metric("h1_kl_held_out", klHeld)
                .metric("compared_states", eval.states())
                .metric("top1_agreement_vs_dense", eval.agreement())
                .metric("kl_vs_dense", eval.kl())
                .metric("clusters_per_token_mean", eval.work().meanClusters())
                .metric("clusters_per_token_p95", eval.work().p95Clusters())
                .metric("head_share_mean", eval.work().meanHeadShare())
                .metric("head_share_p95", eval.work().p95HeadShare())
                .metric("dense_head_bytes", head.byteSizeWithScale())
                .metric("clustered_head_bytes", newBytes)
                .metric("head_bytes_per_token_dense", head.byteSizeWithScale())
                .metric("head_bytes_per_token_clustered", Math.round(
                        4.0 * k * (dim + 1) + eval.work().meanHeadShare() * head.byteSizeWithScale()))
                .metric("clustering_seconds", (t1 - t0) / 1e9)
                .metric("distillation_seconds", (t2 - t1) / 1e9);
        double[] mass = cal.tokenMass();
        double total = Math.max(1e-300, sumOf(mass));
        for (int c = 0; c < k; c++) {
            double m = 0;
            for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                m += mass[order[i]];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("cluster", c);
            row.put("tokens", offsets[c + 1] - offsets[c]);
            row.put("calibration_mass", m / total);
            r.row(row);
        }
        return new CompressionResult(out, r);
    }

    private static double sumOf(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }
}
