package dev.rwkvedge.operators;

import dev.rwkvedge.tensor.GgmlBlocks;

/**
 * Per-thread buffers of the {@code predicted-sparse} FFN: operators are shared by sessions, so the scores, the
 * 1-bit lookup tables and the selection lists live here instead of in the operator.
 */
public final class SparseWorkspace {
    final float[] row;
    final float[] xk;
    final float[] scores;
    final float[] select;
    final float[] hidden;
    final float[] lut;
    final int[] selected;
    final int[] other;
    final int[] merge;
    /** The token's activation as Q8_0 quants and block scales, for Q8_0 key rows. */
    final byte[] qx;
    final float[] dx;
    final int[] qw;

    public SparseWorkspace(int embd, int ffn, int mlpRank) {
        row = new float[embd];
        xk = new float[embd];
        scores = new float[ffn];
        select = new float[ffn];
        hidden = new float[Math.max(1, mlpRank)];
        lut = new float[((embd + 7) / 8) * 256];
        selected = new int[ffn];
        other = new int[ffn];
        merge = new int[ffn];
        qx = new byte[embd];
        dx = new float[(embd + GgmlBlocks.QK - 1) / GgmlBlocks.QK];
        qw = new int[GgmlBlocks.QK];
    }
}
