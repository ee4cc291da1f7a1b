package dev.rwkvedge.operators;

/**
 * Per-thread buffers of the {@code predicted-sparse} FFN: operators are shared by sessions, so the scores and the
 * selection lists live here instead of in the operator.
 */
public final class SparseWorkspace {
    final float[] scores;
    final float[] select;
    final float[] hidden;
    final int[] selected;
    final int[] other;
    final int[] merge;
    /** The selected neurons' key products, then the active neurons and their coefficients h for the value rows. */
    final float[] dots;
    final int[] active;
    final float[] coef;
    /** A single token's selection inside {@link NeuronPredictor#selectChunk}. */
    final int[] single;
    /*
     * Sequence mode (a chunk of n tokens), grown on the first chunk; single-token decoding never touches them:
     * the chunk's selections (n × F) and counts, a second predictor's selections for the ensemble (n × F), the
     * predictors' scores (n × F) and the MLP's hidden layer (n × h).
     */
    int[] chunkSelected = new int[0];
    int[] chunkCounts = new int[0];
    int[] chunkOther = new int[0];
    int[] chunkOtherCounts = new int[0];
    float[] chunkScores = new float[0];
    float[] chunkHidden = new float[0];

    public SparseWorkspace(int embd, int ffn, int mlpRank) {
        scores = new float[ffn];
        select = new float[ffn];
        hidden = new float[Math.max(1, mlpRank)];
        selected = new int[ffn];
        other = new int[ffn];
        merge = new int[ffn];
        dots = new float[ffn];
        active = new int[ffn];
        coef = new float[ffn];
        single = new int[ffn];
    }

    /** Sizes the selection and score buffers of sequence mode for {@code n} tokens of {@code ffn} neurons. */
    void ensureChunk(int n, int ffn) {
        int len = n * ffn;
        if (chunkSelected.length < len) {
            chunkSelected = new int[len];
            chunkOther = new int[len];
            chunkScores = new float[len];
        }
        if (chunkCounts.length < n) {
            chunkCounts = new int[n];
            chunkOtherCounts = new int[n];
        }
    }

    /** {@link #chunkHidden}, at least {@code len} floats. */
    float[] chunkHidden(int len) {
        if (chunkHidden.length < len) {
            chunkHidden = new float[len];
        }
        return chunkHidden;
    }
}
