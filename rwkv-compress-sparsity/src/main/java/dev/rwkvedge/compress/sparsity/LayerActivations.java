package dev.rwkvedge.compress.sparsity;

/**
 * Recorded FFN inputs of one layer and which neurons were active for each: the training data of PAPER.md §3.3 (the
 * MLP input is x_k, the token-shifted mixed FFN input; the label is 1 iff {@code (x_k·W_k)_j > 0}). Tokens are kept in
 * stream order so that held-out tokens are the later ones and never neighbours of training tokens.
 */
public final class LayerActivations {
    private final int embd;
    private final int ffn;
    private final int words;
    private float[] x;
    private long[] masks;
    private int tokens;

    public LayerActivations(int embd, int ffn) {
        this.embd = embd;
        this.ffn = ffn;
        this.words = (ffn + 63) / 64;
        this.x = new float[embd * 64];
        this.masks = new long[words * 64];
    }

    /** Appends one token: its FFN input {@code in[inOff..+C)} and key pre-activations {@code out[outOff..+F)}. */
    public void add(float[] in, int inOff, float[] out, int outOff) {
        if (tokens * embd + embd > x.length) {
            x = java.util.Arrays.copyOf(x, x.length * 2);
            masks = java.util.Arrays.copyOf(masks, masks.length * 2);
        }
        System.arraycopy(in, inOff, x, tokens * embd, embd);
        int base = tokens * words;
        for (int j = 0; j < ffn; j++) {
            if (out[outOff + j] > 0) {
                masks[base + (j >> 6)] |= 1L << (j & 63);
            }
        }
        tokens++;
    }

    public int tokens() {
        return tokens;
    }

    public int embd() {
        return embd;
    }

    public int ffn() {
        return ffn;
    }

    /** The input array; token t starts at {@code t·C}. */
    public float[] inputs() {
        return x;
    }

    public boolean active(int token, int neuron) {
        return (masks[token * words + (neuron >> 6)] >>> (neuron & 63) & 1L) != 0;
    }

    public int activeCount(int token) {
        int n = 0;
        for (int w = 0; w < words; w++) {
            n += Long.bitCount(masks[token * words + w]);
        }
        return n;
    }

    /** Fraction of (token, neuron) pairs in {@code [from, to)} whose relu² is zero (PAPER.md §3.2). */
    public double sparsity(int from, int to) {
        long active = 0;
        for (int t = from; t < to; t++) {
            active += activeCount(t);
        }
        return 1 - (double) active / ((long) (to - from) * ffn);
    }
}
