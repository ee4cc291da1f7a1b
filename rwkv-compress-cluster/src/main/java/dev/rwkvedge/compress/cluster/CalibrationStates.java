package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.spi.ActivationObserver;

import java.util.Arrays;

/**
 * Collects, while calibration text runs through the model, what H1 is distilled from (PAPER.md §4.2, "approach 4"):
 * the head's input x (the final hidden state after ln_out) and the dense head's cluster distribution
 * {@code Q_c = Σ_{t∈c} softmax(H·x)_t}, taken from the head's own output so the dense product is not repeated.
 * It also sums every token's probability over the calibration text, from which the within-cluster prior of the
 * pseudo-logits is estimated.
 */
final class CalibrationStates implements ActivationObserver {
    private final int[] assign;
    private final int k;
    private final int dim;
    private final int maxStates;
    private final double[] tokenMass;
    private float[] x = new float[0];
    private float[] q = new float[0];
    private int count;

    /**
     * @param assign    token → cluster
     * @param maxStates states kept at most (later tokens still add to the token mass)
     */
    CalibrationStates(int[] assign, int k, int dim, int maxStates) {
        this.assign = assign;
        this.k = k;
        this.dim = dim;
        this.maxStates = maxStates;
        this.tokenMass = new double[assign.length];
    }

    @Override
    public void observe(String name, float[] in, int inOff, int cols, float[] out, int outOff, int rows, int n) {
        if (!ClusteredHeadProvider.HEAD.equals(name)) {
            return;
        }
        double[] p = new double[rows];
        for (int t = 0; t < n; t++) {
            int o = outOff + t * rows;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < rows; v++) {
                max = Math.max(max, out[o + v]);
            }
            double sum = 0;
            for (int v = 0; v < rows; v++) {
                p[v] = Math.exp(out[o + v] - max);
                sum += p[v];
            }
            for (int v = 0; v < rows; v++) {
                p[v] /= sum;
                tokenMass[v] += p[v];
            }
            if (count >= maxStates) {
                continue;
            }
            grow();
            System.arraycopy(in, inOff + t * cols, x, count * dim, dim);
            double[] qc = new double[k];
            for (int v = 0; v < rows; v++) {
                qc[assign[v]] += p[v];
            }
            for (int c = 0; c < k; c++) {
                q[count * k + c] = (float) qc[c];
            }
            count++;
        }
    }

    private void grow() {
        if ((count + 1) * dim > x.length) {
            int cap = Math.min(maxStates, Math.max(64, count * 2));
            x = Arrays.copyOf(x, cap * dim);
            q = Arrays.copyOf(q, cap * k);
        }
    }

    int count() {
        return count;
    }

    /** Hidden states, {@code count × dim}. */
    float[] states() {
        return x;
    }

    /** Target cluster distributions, {@code count × k}. */
    float[] targets() {
        return q;
    }

    /** Sum over calibration positions of each token's dense-head probability. */
    double[] tokenMass() {
        return tokenMass;
    }
}
