package dev.rwkvedge.operators;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-token work of a clustered head, counted from any number of sessions at once: clusters taken and the share of
 * the head's rows whose exact logits were computed (PAPER.md §4.3 reports 34.9 clusters and about 13 % of the head
 * per token for 0.1B). Histograms give the 95th percentiles without keeping every token.
 */
public final class HeadStats {
    private static final int SHARE_BUCKETS = 1000;

    private final int clusters;
    private final int vocab;
    private final LongAdder tokens = new LongAdder();
    private final LongAdder clustersTaken = new LongAdder();
    private final LongAdder rowsComputed = new LongAdder();
    private final AtomicLongArray clusterHistogram;
    private final AtomicLongArray shareHistogram = new AtomicLongArray(SHARE_BUCKETS + 1);

    public HeadStats(int clusters, int vocab) {
        this.clusters = clusters;
        this.vocab = vocab;
        this.clusterHistogram = new AtomicLongArray(clusters + 1);
    }

    /** Counts one token that took {@code taken} clusters holding {@code rows} head rows. */
    public void record(int taken, int rows) {
        tokens.increment();
        clustersTaken.add(taken);
        rowsComputed.add(rows);
        clusterHistogram.incrementAndGet(taken);
        shareHistogram.incrementAndGet((int) Math.ceil((double) rows * SHARE_BUCKETS / vocab));
    }

    /** What was counted so far. */
    public Snapshot snapshot() {
        long n = tokens.sum();
        if (n == 0) {
            return new Snapshot(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new Snapshot(n, (double) clustersTaken.sum() / n, percentile95(clusterHistogram, n),
                (double) rowsComputed.sum() / n / vocab, percentile95(shareHistogram, n) / SHARE_BUCKETS);
    }

    /** Smallest bucket index at or below which at least 95 % of the tokens fall. */
    private static double percentile95(AtomicLongArray histogram, long n) {
        long need = (long) Math.ceil(0.95 * n);
        long seen = 0;
        for (int i = 0; i < histogram.length(); i++) {
            seen += histogram.get(i);
            if (seen >= need) {
                return i;
            }
        }
        return histogram.length() - 1;
    }

    public int clusters() {
        return clusters;
    }

    /**
     * @param tokens          tokens counted
     * @param meanClusters    clusters taken per token
     * @param p95Clusters     95th percentile of clusters taken
     * @param meanHeadShare   share of the head rows computed exactly per token (0..1)
     * @param p95HeadShare    95th percentile of that share, rounded up to 0.1 %
     */
    public record Snapshot(long tokens, double meanClusters, double p95Clusters, double meanHeadShare,
                           double p95HeadShare) {
    }
}
