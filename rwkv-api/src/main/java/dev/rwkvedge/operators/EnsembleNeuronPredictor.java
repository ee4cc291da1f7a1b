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
        int[] a = ws.merge;
        System.arraycopy(selected, 0, a, 0, na);
        int i = 0;
        int j = 0;
        int n = 0;
        if (rule == Rule.OR) {
            while (i < na || j < nb) {
                int va = i < na ? a[i] : Integer.MAX_VALUE;
                int vb = j < nb ? b[j] : Integer.MAX_VALUE;
                int v = Math.min(va, vb);
                selected[n++] = v;
                if (va == v) {
                    i++;
                }
                if (vb == v) {
                    j++;
                }
            }
        } else {
            while (i < na && j < nb) {
                if (a[i] == b[j]) {
                    selected[n++] = a[i];
                    i++;
                    j++;
                } else if (a[i] < b[j]) {
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
