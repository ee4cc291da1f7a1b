package dev.rwkvedge.compress.cluster;

import java.util.random.RandomGenerator;

/**
 * Fits the cluster head {@code z = W·x + b} (W: K × D) by distillation: minimise the mean over calibration states
 * of {@code KL(Q ‖ softmax(z))}, where Q is the dense head's summed cluster probability (PAPER.md §4.2, the
 * authors' best "approach 4", PyTorch {@code KLDivLoss(batchmean)}). The gradient of the KL with respect to z is
 * {@code softmax(z) − Q}, so each step is two small dense products; Adam (Kingma &amp; Ba, ICLR 2015) with
 * β = (0.9, 0.999), ε = 1e-8 on seeded shuffled mini-batches, in plain Java.
 *
 * <p>Initialisation differs from the authors' orthogonal one: row c starts at the mean of its cluster's head rows
 * and {@code b_c = log n_c}, the Jensen lower bound of {@code log Σ_{t∈c} exp(h_t·x)}, which already ranks clusters
 * sensibly before any step and makes the few epochs we can afford on a CPU go further.
 */
final class ClusterHeadTrainer {
    private static final int BATCH = 64;

    private final int k;
    private final int dim;
    private final float[] w;
    private final float[] b;
    private final double[] mw, vw, mb, vb;
    private long step;

    ClusterHeadTrainer(float[] initW, float[] initB) {
        this.k = initB.length;
        this.dim = initW.length / k;
        this.w = initW.clone();
        this.b = initB.clone();
        this.mw = new double[w.length];
        this.vw = new double[w.length];
        this.mb = new double[k];
        this.vb = new double[k];
    }

    /** Replaces the parameters (for example by the best ones seen); the optimiser's moments are kept. */
    void restore(float[] weights, float[] bias) {
        System.arraycopy(weights, 0, w, 0, w.length);
        System.arraycopy(bias, 0, b, 0, b.length);
    }

    float[] weights() {
        return w.clone();
    }

    float[] bias() {
        return b.clone();
    }

    /**
     * Runs Adam over states {@code [0, n)}; successive calls continue one optimisation (moments and step count
     * persist).
     *
     * @param x states, {@code n × dim}
     * @param q targets, {@code n × k}
     */
    void train(float[] x, float[] q, int n, int epochs, double lr, RandomGenerator random) {
        double[] gw = new double[w.length];
        double[] gb = new double[k];
        double[] z = new double[k];
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int e = 0; e < epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int start = 0; start < n; start += BATCH) {
                int end = Math.min(n, start + BATCH);
                java.util.Arrays.fill(gw, 0);
                java.util.Arrays.fill(gb, 0);
                for (int s = start; s < end; s++) {
                    int r = perm[s];
                    probabilities(x, r * dim, z);
                    for (int c = 0; c < k; c++) {
                        double g = z[c] - q[r * k + c];
                        gb[c] += g;
                        int wc = c * dim;
                        int xr = r * dim;
                        for (int j = 0; j < dim; j++) {
                            gw[wc + j] += g * x[xr + j];
                        }
                    }
                }
                step++;
                double scale = 1.0 / (end - start);
                double c1 = 1 - Math.pow(0.9, step);
                double c2 = 1 - Math.pow(0.999, step);
                for (int i = 0; i < w.length; i++) {
                    w[i] -= (float) adam(gw[i] * scale, mw, vw, i, lr, c1, c2);
                }
                for (int c = 0; c < k; c++) {
                    b[c] -= (float) adam(gb[c] * scale, mb, vb, c, lr, c1, c2);
                }
            }
        }
    }

    private static double adam(double g, double[] m, double[] v, int i, double lr, double c1, double c2) {
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = 0.999 * v[i] + 0.001 * g * g;
        return lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8);
    }

    /** softmax(W·x + b) into {@code p}. */
    void probabilities(float[] x, int off, double[] p) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double s = b[c];
            int wc = c * dim;
            for (int j = 0; j < dim; j++) {
                s += w[wc + j] * x[off + j];
            }
            p[c] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            p[c] = Math.exp(p[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < k; c++) {
            p[c] /= sum;
        }
    }

    /** Mean KL(Q ‖ softmax(W·x + b)) in nats over states {@code [from, to)}. */
    double meanKl(float[] x, float[] q, int from, int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double[] p = new double[k];
        double total = 0;
        for (int r = from; r < to; r++) {
            probabilities(x, r * dim, p);
            for (int c = 0; c < k; c++) {
                double t = q[r * k + c];
                if (t > 0) {
                    total += t * (Math.log(t) - Math.log(Math.max(p[c], 1e-300)));
                }
            }
        }
        return total / (to - from);
    }
}
