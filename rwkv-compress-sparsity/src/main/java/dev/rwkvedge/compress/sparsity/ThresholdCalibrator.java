package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.spi.KernelBackend;

import java.util.Arrays;

/**
 * Chooses per-layer thresholds on held-out calibration tokens so that the predictor reaches a target recall, instead
 * of the paper's fixed MLP threshold 0.7 and 1-bit quantile 0.9 (PAPER.md §3.3-3.5), which give layer-dependent
 * recall. For one predictor the threshold is read off the sorted scores of the truly active neurons. For an ensemble
 * the MLP's share of the recall is searched over a few levels, the 1-bit cut is then the smallest that makes the
 * combination reach the target, and the pair predicting the fewest neurons wins.
 */
public final class ThresholdCalibrator {
    private static final double[] OR_MLP_RECALLS = {0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};

    /** The chosen thresholds; NaN for a predictor that is not used. */
    public record Thresholds(double mlpThreshold, double signQuantile) {
    }

    private final LayerActivations data;
    private final int from;
    private final int to;
    private final int ffn;
    private final float[] logits;
    private final int[] ranks;
    private final long positives;

    /**
     * Scores tokens {@code [from, to)} once with each given predictor (either may be null); the MLP's products run on
     * {@code backend}, the one the pipeline runs the model with.
     */
    public ThresholdCalibrator(KernelBackend backend, LayerActivations data, int from, int to, MlpNeuronPredictor mlp,
                               SignNeuronPredictor sign) {
        this.data = data;
        this.from = from;
        this.to = to;
        this.ffn = data.ffn();
        int n = to - from;
        float[] hidden = new float[mlp == null ? 1 : mlp.rank()];
        float[] lut = new float[((data.embd() + 7) / 8) * 256];
        float[] scores = new float[ffn];
        float[] sorted = new float[ffn];
        logits = mlp == null ? null : new float[n * ffn];
        ranks = sign == null ? null : new int[n * ffn];
        long pos = 0;
        for (int t = from; t < to; t++) {
            int row = (t - from) * ffn;
            pos += data.activeCount(t);
            if (mlp != null) {
                mlp.logits(backend, data.inputs(), t * data.embd(), hidden, scores);
                System.arraycopy(scores, 0, logits, row, ffn);
            }
            if (sign != null) {
                sign.scores(data.inputs(), t * data.embd(), lut, scores);
                System.arraycopy(scores, 0, sorted, 0, ffn);
                Arrays.sort(sorted);
                for (int j = 0; j < ffn; j++) {
                    ranks[row + j] = ffn - upperBound(sorted, scores[j]);
                }
            }
        }
        positives = pos;
    }

    /** Thresholds for the MLP alone: the predicted set is {@code logit > cut}. */
    public double mlpOnly(double recall) {
        return probability(logitCut(recall, Mask.ALL, 0));
    }

    /** The quantile for the 1-bit predictor alone. */
    public double signOnly(double recall) {
        return quantile(keepFor(recall, Mask.ALL, Double.NEGATIVE_INFINITY));
    }

    /**
     * Thresholds for the ensemble; a fixed value (not NaN) is kept and only the other is searched.
     */
    public Thresholds ensemble(double recall, EnsembleNeuronPredictor.Rule rule, double fixedMlp, double fixedQuantile) {
        if (!Double.isNaN(fixedMlp) && !Double.isNaN(fixedQuantile)) {
            return new Thresholds(fixedMlp, fixedQuantile);
        }
        boolean or = rule == EnsembleNeuronPredictor.Rule.OR;
        if (!Double.isNaN(fixedQuantile)) {
            int k = SignNeuronPredictor.keepCount(fixedQuantile, ffn);
            double cut = logitCut(recall, or ? Mask.RANK_AT_LEAST : Mask.RANK_BELOW, k);
            return new Thresholds(probability(cut), fixedQuantile);
        }
        double[] candidates;
        if (!Double.isNaN(fixedMlp)) {
            candidates = new double[] {logit(fixedMlp)};
        } else if (or) {
            candidates = new double[OR_MLP_RECALLS.length];
            for (int i = 0; i < candidates.length; i++) {
                candidates[i] = logitCut(Math.min(recall, OR_MLP_RECALLS[i]), Mask.ALL, 0);
            }
        } else {
            candidates = new double[] {logitCut(recall, Mask.ALL, 0), logitCut((1 + recall) / 2, Mask.ALL, 0),
                    logitCut(Math.max(recall, 0.999), Mask.ALL, 0), Double.NEGATIVE_INFINITY};
        }
        double bestCut = Double.NEGATIVE_INFINITY;
        int bestK = ffn;
        long bestCount = Long.MAX_VALUE;
        for (double cut : candidates) {
            int k = keepFor(recall, or ? Mask.LOGIT_AT_MOST : Mask.LOGIT_ABOVE, cut);
            if (k < 0) {
                continue;
            }
            long count = predictedCount(cut, k, or);
            if (count < bestCount) {
                bestCount = count;
                bestCut = cut;
                bestK = k;
            }
        }
        return new Thresholds(!Double.isNaN(fixedMlp) ? fixedMlp : probability(bestCut), quantile(bestK));
    }

    /** Which positives a search counts. */
    private enum Mask {
        ALL, RANK_AT_LEAST, RANK_BELOW, LOGIT_AT_MOST, LOGIT_ABOVE
    }

    /**
     * The smallest k such that positives in {@code mask} (relative to MLP cut {@code cut}) with rank < k, plus for OR
     * the positives the MLP already covers, reach the recall; -1 if impossible.
     */
    private int keepFor(double recall, Mask mask, double cut) {
        long need = (long) Math.ceil(recall * positives - 1e-9);
        long covered = 0;
        int[] r = new int[Math.toIntExact(positives)];
        int m = 0;
        for (int t = from; t < to; t++) {
            int row = (t - from) * ffn;
            for (int j = 0; j < ffn; j++) {
                if (!data.active(t, j)) {
                    continue;
                }
                boolean mlpHas = logits != null && logits[row + j] > cut;
                switch (mask) {
                    case ALL -> r[m++] = ranks[row + j];
                    case LOGIT_AT_MOST -> {
                        if (mlpHas) {
                            covered++;
                        } else {
                            r[m++] = ranks[row + j];
                        }
                    }
                    case LOGIT_ABOVE -> {
                        if (mlpHas) {
                            r[m++] = ranks[row + j];
                        }
                    }
                    default -> throw new IllegalStateException(mask.name());
                }
            }
        }
        long rest = need - covered;
        if (rest <= 0) {
            return 0;
        }
        if (rest > m) {
            return -1;
        }
        Arrays.sort(r, 0, m);
        return Math.min(ffn, r[(int) rest - 1] + 1);
    }

    /** The largest logit cut such that positives in {@code mask} above it (plus for OR those rank < k) reach recall. */
    private double logitCut(double recall, Mask mask, int k) {
        long need = (long) Math.ceil(recall * positives - 1e-9);
        long covered = 0;
        float[] v = new float[Math.toIntExact(positives)];
        int m = 0;
        for (int t = from; t < to; t++) {
            int row = (t - from) * ffn;
            for (int j = 0; j < ffn; j++) {
                if (!data.active(t, j)) {
                    continue;
                }
                switch (mask) {
                    case ALL -> v[m++] = logits[row + j];
                    case RANK_AT_LEAST -> {
                        if (ranks[row + j] < k) {
                            covered++;
                        } else {
                            v[m++] = logits[row + j];
                        }
                    }
                    case RANK_BELOW -> {
                        if (ranks[row + j] < k) {
                            v[m++] = logits[row + j];
                        }
                    }
                    default -> throw new IllegalStateException(mask.name());
                }
            }
        }
        long rest = need - covered;
        if (rest <= 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (rest > m) {
            return Double.NEGATIVE_INFINITY;
        }
        Arrays.sort(v, 0, m);
        double cut = v[m - (int) rest];
        return cut - 1e-4 * (1 + Math.abs(cut));
    }

    private long predictedCount(double cut, int k, boolean or) {
        long n = 0;
        for (int i = 0; i < (to - from) * ffn; i++) {
            boolean a = logits[i] > cut;
            boolean b = ranks[i] < k;
            if (or ? a || b : a && b) {
                n++;
            }
        }
        return n;
    }

    private double quantile(int keep) {
        return keep <= 0 ? 1 : 1 - (double) keep / ffn;
    }

    private static double probability(double logit) {
        if (logit == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        if (logit == Double.POSITIVE_INFINITY) {
            return 1;
        }
        double p = 1 / (1 + Math.exp(-logit));
        return Math.min(Math.nextDown(1.0), Math.max(Double.MIN_NORMAL, p));
    }

    private static double logit(double p) {
        if (p <= 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (p >= 1) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.log(p / (1 - p));
    }

    private static int upperBound(float[] sorted, float v) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
