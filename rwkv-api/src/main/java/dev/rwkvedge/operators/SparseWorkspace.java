package dev.rwkvedge.operators;

/**
 * Per-thread buffers of the {@code predicted-sparse} FFN: operators are shared by sessions, so the scores and the
 * selection lists live here instead of in the operator.
 */
public final class SparseWorkspace {
    final float[] scores;
    /** {@link TopK}'s work: F keys and a histogram. */
    final int[] select;
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
    /**
     * One thread's sequence-mode buffers (a chunk of n tokens), used only inside one operator call, so the workspaces
     * of all layers share them: per-layer sets were 1.4 MB × 24 layers of heap for a 430M-class model (peak RSS
     * 301 → 320-330 MB). Single-token decoding never touches them.
     */
    static final class ChunkBuffers {
        /** The chunk's selections (n × F, token t's from t·F) and their counts. */
        int[] selected = new int[0];
        int[] counts = new int[0];
        /** A second predictor's selections (the ensemble's), then the operator's active counts. */
        int[] other = new int[0];
        int[] otherCounts = new int[0];
        /** The predictors' scores (n × F). */
        float[] scores = new float[0];
        /** The MLP predictor's hidden layer (n × h). */
        float[] hidden = new float[0];
        /**
         * The value rows grouped by row: the rows in ascending order that some token activated, group g's entries
         * {@code [groupStart[g], groupStart[g+1])} as (token, h).
         */
        int[] groupRows = new int[0];
        int[] groupStart = new int[0];
        int[] entryTokens = new int[0];
        float[] entryCoef = new float[0];
    }

    private static final ThreadLocal<ChunkBuffers> CHUNK = ThreadLocal.withInitial(ChunkBuffers::new);

    public SparseWorkspace(int embd, int ffn, int mlpRank) {
        scores = new float[ffn];
        select = new int[ffn + 4 * TopK.BUCKETS];
        hidden = new float[Math.max(1, mlpRank)];
        selected = new int[ffn];
        other = new int[ffn];
        merge = new int[ffn];
        dots = new float[ffn];
        active = new int[ffn];
        coef = new float[ffn];
        single = new int[ffn];
    }

    /** The running thread's chunk buffers with selections, counts and scores for {@code n} tokens of {@code ffn} neurons. */
    static ChunkBuffers chunk(int n, int ffn) {
        ChunkBuffers c = CHUNK.get();
        int len = n * ffn;
        if (c.selected.length < len) {
            c.selected = new int[len];
            c.other = new int[len];
            c.scores = new float[len];
        }
        if (c.counts.length < n) {
            c.counts = new int[n];
            c.otherCounts = new int[n];
        }
        return c;
    }

    /** {@link #chunk}'s MLP hidden layer, at least {@code len} floats. */
    static float[] chunkHidden(int len) {
        ChunkBuffers c = CHUNK.get();
        if (c.hidden.length < len) {
            c.hidden = new float[len];
        }
        return c.hidden;
    }

    /** {@link #chunk}'s value-row groups for {@code ffn} rows and {@code entries} entries. */
    static ChunkBuffers groups(int ffn, int entries) {
        ChunkBuffers c = CHUNK.get();
        if (c.groupRows.length < ffn) {
            c.groupRows = new int[ffn];
            c.groupStart = new int[ffn + 1];
        }
        if (c.entryTokens.length < entries) {
            c.entryTokens = new int[entries];
            c.entryCoef = new float[entries];
        }
        return c;
    }
}
