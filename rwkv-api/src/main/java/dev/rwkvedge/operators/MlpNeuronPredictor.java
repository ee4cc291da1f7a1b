package dev.rwkvedge.operators;

/**
 * Predictor A of PAPER.md §3.3: {@code p = σ(P2·relu(P1·x) + bias)}, a neuron is predicted active when
 * {@code p > threshold}. The comparison is made on the logit ({@code z > ln(t/(1−t))}) so no sigmoid is evaluated.
 * A threshold ≤ 0 predicts every neuron (the dense FFN), ≥ 1 none. The factors are small (h·(C+F) floats) and kept on
 * the heap: they are read for every token, unlike the FFN rows they gate.
 */
public final class MlpNeuronPredictor implements NeuronPredictor {
    private final float[] p1;
    private final float[] p2;
    private final float[] bias;
    private final int embd;
    private final int ffn;
    private final int rank;
    private final double threshold;
    private final double logitThreshold;

    /**
     * @param p1   h×C row-major
     * @param p2   F×h row-major
     * @param bias F
     */
    public MlpNeuronPredictor(float[] p1, float[] p2, float[] bias, int embd, int ffn, double threshold) {
        this.rank = p1.length / embd;
        if (p1.length != rank * embd || p2.length != ffn * rank || bias.length != ffn) {
            throw new IllegalArgumentException("MLP predictor shapes disagree: p1 " + p1.length + ", p2 " + p2.length
                    + ", bias " + bias.length + " for C=" + embd + ", F=" + ffn);
        }
        this.p1 = p1;
        this.p2 = p2;
        this.bias = bias;
        this.embd = embd;
        this.ffn = ffn;
        this.threshold = threshold;
        this.logitThreshold = threshold <= 0 || threshold >= 1 ? 0 : Math.log(threshold / (1 - threshold));
    }

    public int rank() {
        return rank;
    }

    public double threshold() {
        return threshold;
    }

    /** The same weights with another threshold (for calibration, which tries several). */
    public MlpNeuronPredictor withThreshold(double newThreshold) {
        return new MlpNeuronPredictor(p1, p2, bias, embd, ffn, newThreshold);
    }

    /** The logits {@code P2·relu(P1·x) + bias} into {@code logits[0..F)}. */
    public void logits(float[] x, int xOff, float[] hidden, float[] logits) {
        for (int k = 0; k < rank; k++) {
            float s = 0;
            int base = k * embd;
            for (int i = 0; i < embd; i++) {
                s += p1[base + i] * x[xOff + i];
            }
            hidden[k] = s > 0 ? s : 0;
        }
        for (int j = 0; j < ffn; j++) {
            float s = bias[j];
            int base = j * rank;
            for (int k = 0; k < rank; k++) {
                s += p2[base + k] * hidden[k];
            }
            logits[j] = s;
        }
    }

    @Override
    public int select(float[] x, int xOff, int[] selected, SparseWorkspace ws) {
        if (threshold <= 0) {
            for (int j = 0; j < ffn; j++) {
                selected[j] = j;
            }
            return ffn;
        }
        if (threshold >= 1) {
            return 0;
        }
        logits(x, xOff, ws.hidden, ws.scores);
        int n = 0;
        for (int j = 0; j < ffn; j++) {
            if (ws.scores[j] > logitThreshold) {
                selected[n++] = j;
            }
        }
        return n;
    }

    @Override
    public long bytesPerToken() {
        return 4L * (p1.length + p2.length + bias.length);
    }
}
