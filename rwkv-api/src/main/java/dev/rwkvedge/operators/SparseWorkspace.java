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
    /*
     * Sequence mode (a chunk of n tokens), set by ensureChunk: the chunk's selections (n × F) and counts, a second
     * predictor's selections for the ensemble (n × F) and the predictors' scores (n × F). They are the running
     * thread's ChunkBuffers, shared by the workspaces of all layers: every operator has its own workspace, and
     * per-layer chunk buffers were 1.4 MB × 24 layers of heap for a 430M-class model (peak RSS 301 → 320-330 MB).
     */
    int[] chunkSelected = new int[0];
    int[] chunkCounts = new int[0];
    int[] chunkOther = new int[0];
    int[] chunkOtherCounts = new int[0];
    float[] chunkScores = new float[0];

    /** One thread's sequence-mode buffers; used only inside one operator call, so all layers can share them. */
    private static final class ChunkBuffers {
        int[] selected = new int[0];
        int[] counts = new int[0];
        int[] other = new int[0];
        int[] otherCounts = new int[0];
        float[] scores = new float[0];
        float[] hidden = new float[0];
        int[] groupRows = new int[0];
        int[] groupStart = new int[0];
        int[] entryTokens = new int[0];
        float[] entryCoef = new float[0];
    }

    /*
     * The value rows of a chunk grouped by row (set by ensureGroups): the rows in ascending order that some token
     * activated, group g's entries [groupStart[g], groupStart[g+1]) as (token, h).
     */
    int[] groupRows = new int[0];
    int[] groupStart = new int[0];
    int[] entryTokens = new int[0];
    float[] entryCoef = new float[0];

    /** Points the group fields at the running thread's buffers, for {@code ffn} rows and {@code entries} entries. */
    void ensureGroups(int ffn, int entries) {
        ChunkBuffers c = CHUNK.get();
        if (c.groupRows.length < ffn) {
            c.groupRows = new int[ffn];
            c.groupStart = new int[ffn + 1];
        }
        if (c.entryTokens.length < entries) {
            c.entryTokens = new int[entries];
            c.entryCoef = new float[entries];
        }
        groupRows = c.groupRows;
        groupStart = c.groupStart;
        entryTokens = c.entryTokens;
        entryCoef = c.entryCoef;
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

    /**
     * Points the sequence-mode fields at the running thread's buffers, sized for {@code n} tokens of {@code ffn}
     * neurons. Call at the start of every use: another layer's workspace may have grown them.
     */
    void ensureChunk(int n, int ffn) {
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
        chunkSelected = c.selected;
        chunkCounts = c.counts;
        chunkOther = c.other;
        chunkOtherCounts = c.otherCounts;
        chunkScores = c.scores;
    }

    /** The running thread's buffer for the MLP predictor's hidden layer in sequence mode, at least {@code len} floats. */
    float[] chunkHidden(int len) {
        ChunkBuffers c = CHUNK.get();
        if (c.hidden.length < len) {
            c.hidden = new float[len];
        }
        return c.hidden;
    }
}
