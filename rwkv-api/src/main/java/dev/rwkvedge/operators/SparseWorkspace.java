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
    }
}
