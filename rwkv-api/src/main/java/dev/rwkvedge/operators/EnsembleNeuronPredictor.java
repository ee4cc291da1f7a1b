package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;

/**
 * PAPER.md §3.5: the MLP and the 1-bit predictor combined. OR (the paper's choice) keeps a neuron either one keeps:
 * the MLP catches neurons the coarse 1-bit score misses, the 1-bit score catches large activations the MLP
 * under-predicts. AND keeps only neurons both agree on, for more sparsity at lower recall.
 */
public final class EnsembleNeuronPredictor implements NeuronPredictor {
    /** How the two selections combine. */
    public enum Rule {
        OR, AND
    }

    private final MlpNeuronPredictor mlp;
    private final SignNeuronPredictor sign;
    private final Rule rule;

    public EnsembleNeuronPredictor(MlpNeuronPredictor mlp, SignNeuronPredictor sign, Rule rule) {
        this.mlp = mlp;
        this.sign = sign;
        this.rule = rule;
    }

    public Rule rule() {
        return rule;
    }

    public MlpNeuronPredictor mlp() {
        return mlp;
    }

    public SignNeuronPredictor sign() {
        return sign;
    }

    @Override
    public int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws) {
        int na = mlp.select(backend, x, xOff, selected, ws);
        int[] b = ws.other;
        int nb = sign.select(backend, x, xOff, b, ws);
        System.arraycopy(selected, 0, ws.merge, 0, na);
        return combine(ws.merge, na, b, 0, nb, selected, 0);
    }

    /** Both predictors over the whole chunk ({@link NeuronPredictor#selectChunk}), then per token as {@link #select}. */
    @Override
    public void selectChunk(KernelBackend backend, float[] x, int cols, int n, int ffn, int[] selected, int[] counts,
                            SparseWorkspace ws) {
        if (n == 1) {
            NeuronPredictor.super.selectChunk(backend, x, cols, n, ffn, selected, counts, ws);
            return;
        }
        SparseWorkspace.ChunkBuffers c = SparseWorkspace.chunk(n, ffn);
        int[] other = c.other;
        int[] otherCounts = c.otherCounts;
        mlp.selectChunk(backend, x, cols, n, ffn, selected, counts, ws);
        sign.selectChunk(backend, x, cols, n, ffn, other, otherCounts, ws);
        for (int t = 0; t < n; t++) {
            System.arraycopy(selected, t * ffn, ws.merge, 0, counts[t]);
            counts[t] = combine(ws.merge, counts[t], other, t * ffn, otherCounts[t], selected, t * ffn);
        }
    }

    /**
     * Merges the ascending lists {@code a[0..na)} and {@code b[bo..bo+nb)} by the rule into {@code out[oo..]}, returns
     * the length.
     */
    private int combine(int[] a, int na, int[] b, int bo, int nb, int[] out, int oo) {
        int i = 0;
        int j = 0;
        int n = 0;
        if (rule == Rule.OR) {
            while (i < na || j < nb) {
                int va = i < na ? a[i] : Integer.MAX_VALUE;
                int vb = j < nb ? b[bo + j] : Integer.MAX_VALUE;
                int v = Math.min(va, vb);
                out[oo + n++] = v;
                if (va == v) {
                    i++;
                }
                if (vb == v) {
                    j++;
                }
            }
        } else {
            while (i < na && j < nb) {
                if (a[i] == b[bo + j]) {
                    out[oo + n++] = a[i];
                    i++;
                    j++;
                } else if (a[i] < b[bo + j]) {
                    i++;
                } else {
                    j++;
                }
            }
        }
        return n;
    }

    @Override
    public long bytesPerToken() {
        return mlp.bytesPerToken() + sign.bytesPerToken();
    }
}
