package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.spi.Params;

/**
 * Parameters of the {@code cluster-head} step (defaults from PAPER.md §4 unless noted).
 *
 * @param clusters   K requested (200); capped per vocabulary by {@link #clustersFor(int)}
 * @param pMin       cumulative cluster probability to reach (0.95)
 * @param kMin       fewest clusters computed per token (3)
 * @param kMax       most clusters computed per token (100, at most K); {@code top-k: n} (DESIGN.md §8's example)
 *                   is shorthand for k-min = k-max = n, a fixed number of clusters per token
 * @param fallback   {@code pseudo} (normalised pseudo-logits) or {@code none} (−∞)
 * @param vectors    what is clustered: {@code head} rows (ours, default: tokens with similar head rows get
 *                   similar logits, so cluster mass concentrates) or {@code embedding} rows (the paper's choice)
 * @param pcaDims    principal components kept before k-means (200)
 * @param iterations Lloyd iterations at most (25)
 * @param epochs     Adam epochs over the calibration states for H1 (10)
 * @param lr         Adam learning rate (0.001); the parameters of the epoch with the lowest training KL are kept
 *                   (the initialisation counts as epoch 0), so training never makes H1 worse than its start
 * @param maxStates  calibration states kept for training (8192); 10 % (at most 1024) are held out for the report
 * @param prior      within-cluster distribution of pseudo-logits: {@code calibrated} (ours) or {@code uniform}
 */
record ClusterHeadSettings(int clusters, double pMin, int kMin, int kMax, ClusteredHead.Fallback fallback,
                           String vectors, int pcaDims, int iterations, int epochs, double lr, int maxStates,
                           String prior) {
    static final int DEFAULT_CLUSTERS = 200;

    static ClusterHeadSettings from(Params p) {
        int clusters = p.getInt("clusters", 0);
        double pMin = p.getDouble("p-min", 0.95);
        int topK = p.getInt("top-k", 0);
        int kMin = p.getInt("k-min", 0);
        int kMax = p.getInt("k-max", 0);
        if (topK != 0) {
            if (topK < 1) {
                throw p.bad("top-k", topK, "at least 1");
            }
            if (kMin != 0 || kMax != 0) {
                throw p.bad("top-k", topK, "not combined with k-min or k-max (top-k sets both)");
            }
            kMin = topK;
            kMax = topK;
        }
        kMin = kMin == 0 ? 3 : kMin;
        kMax = kMax == 0 ? 100 : kMax;
        String fb = p.getString("fallback", "pseudo");
        String vectors = p.getString("vectors", "head");
        int pcaDims = p.getInt("pca-dims", 200);
        int iterations = p.getInt("iterations", 25);
        int epochs = p.getInt("epochs", 10);
        double lr = p.getDouble("lr", 0.001);
        int maxStates = p.getInt("max-states", 8192);
        String prior = p.getString("prior", "calibrated");
        if (clusters < 0 || clusters == 1) {
            throw p.bad("clusters", clusters, "at least 2 (or leave it out for the default)");
        }
        if (!(pMin > 0 && pMin <= 1)) {
            throw p.bad("p-min", pMin, "a probability in (0, 1]");
        }
        if (kMin < 1) {
            throw p.bad("k-min", kMin, "at least 1");
        }
        if (kMax < kMin) {
            throw p.bad("k-max", kMax, "at least k-min (" + kMin + ")");
        }
        ClusteredHead.Fallback fallback;
        try {
            fallback = ClusteredHead.Fallback.of(fb);
        } catch (IllegalArgumentException e) {
            throw p.bad("fallback", fb, "pseudo or none");
        }
        if (!vectors.equals("head") && !vectors.equals("embedding")) {
            throw p.bad("vectors", vectors, "head or embedding");
        }
        if (pcaDims < 1) {
            throw p.bad("pca-dims", pcaDims, "at least 1");
        }
        if (iterations < 1) {
            throw p.bad("iterations", iterations, "at least 1");
        }
        if (epochs < 0) {
            throw p.bad("epochs", epochs, "0 or more");
        }
        if (!(lr > 0)) {
            throw p.bad("lr", lr, "a positive number");
        }
        if (maxStates < 1) {
            throw p.bad("max-states", maxStates, "at least 1");
        }
        if (!prior.equals("calibrated") && !prior.equals("uniform")) {
            throw p.bad("prior", prior, "calibrated or uniform");
        }
        p.requireAllConsumed();
        return new ClusterHeadSettings(clusters, pMin, kMin, kMax, fallback, vectors, pcaDims, iterations, epochs, lr,
                maxStates, prior);
    }

    /**
     * K for a vocabulary of {@code vocab}: the requested value capped at V/2 (two tokens per cluster on average), or
     * by default {@code min(200, ⌈√V⌉)}: the head then costs about K·D for H1 plus the taken clusters' rows, and
     * √V balances the two (PAPER.md uses 200 ≈ √65536 − 56). A 256-token byte vocabulary gets 16 clusters.
     */
    int clustersFor(int vocab) {
        int k = clusters == 0 ? Math.min(DEFAULT_CLUSTERS, (int) Math.ceil(Math.sqrt(vocab))) : clusters;
        return Math.max(2, Math.min(k, vocab / 2));
    }
}
