package dev.rwkvedge.compress.sparsity;

import java.util.SplittableRandom;

/**
 * Trains the MLP predictor of PAPER.md §3.3 in plain Java: Xavier-uniform init, class-weighted binary cross-entropy
 * (each positive weighted by #negatives/#positives, because about 90 % of labels are 0), Adam (β1 0.9, β2 0.999),
 * shuffled minibatches. The paper trains full-batch for 100 steps on ~5 K samples; minibatches converge in fewer
 * passes on the larger calibration sets used here. Single-threaded and driven only by the given seed, so the result
 * is bit-for-bit reproducible.
 */
public final class MlpTrainer {
    private final int rank;
    private final int epochs;
    private final int batch;
    private final double learningRate;

    public MlpTrainer(int rank, int epochs, int batch, double learningRate) {
        this.rank = rank;
        this.epochs = epochs;
        this.batch = batch;
        this.learningRate = learningRate;
    }

    /** Trains on tokens {@code [0, count)} of {@code data}. */
    public MlpWeights train(LayerActivations data, int count, long seed) {
        int c = data.embd();
        int f = data.ffn();
        int h = rank;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] p1 = xavier(rnd, h, c);
        float[] p2 = xavier(rnd, f, h);
        float[] bias = new float[f];
        long pos = 0;
        for (int t = 0; t < count; t++) {
            pos += data.activeCount(t);
        }
        long neg = (long) count * f - pos;
        float posWeight = pos == 0 ? 1f : (float) Math.max(1.0, (double) neg / pos);

        Adam a1 = new Adam(p1.length);
        Adam a2 = new Adam(p2.length);
        Adam ab = new Adam(f);
        float[] g1 = new float[p1.length];
        float[] g2 = new float[p2.length];
        float[] gb = new float[f];
        float[] pre = new float[h];
        float[] hid = new float[h];
        float[] dh = new float[h];
        float[] dz = new float[f];
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        float[] x = data.inputs();
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = count - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int start = 0; start < count; start += batch) {
                int end = Math.min(count, start + batch);
                java.util.Arrays.fill(g1, 0f);
                java.util.Arrays.fill(g2, 0f);
                java.util.Arrays.fill(gb, 0f);
                float inv = 1f / (end - start);
                for (int s = start; s < end; s++) {
                    int t = order[s];
                    int xo = t * c;
                    for (int k = 0; k < h; k++) {
                        float sum = 0;
                        int base = k * c;
                        for (int i = 0; i < c; i++) {
                            sum += p1[base + i] * x[xo + i];
                        }
                        pre[k] = sum;
                        hid[k] = sum > 0 ? sum : 0;
                    }
                    java.util.Arrays.fill(dh, 0f);
                    for (int j = 0; j < f; j++) {
                        float z = bias[j];
                        int base = j * h;
                        for (int k = 0; k < h; k++) {
                            z += p2[base + k] * hid[k];
                        }
                        float p = (float) (1.0 / (1.0 + Math.exp(-z)));
                        float d = (data.active(t, j) ? posWeight * (p - 1) : p) * inv;
                        dz[j] = d;
                        gb[j] += d;
                        for (int k = 0; k < h; k++) {
                            g2[base + k] += d * hid[k];
                            dh[k] += d * p2[base + k];
                        }
                    }
                    for (int k = 0; k < h; k++) {
                        if (pre[k] <= 0) {
                            continue;
                        }
                        float d = dh[k];
                        int base = k * c;
                        for (int i = 0; i < c; i++) {
                            g1[base + i] += d * x[xo + i];
                        }
                    }
                }
                a1.step(p1, g1, learningRate);
                a2.step(p2, g2, learningRate);
                ab.step(bias, gb, learningRate);
            }
        }
        return new MlpWeights(p1, p2, bias, h, c, f);
    }

    private static float[] xavier(SplittableRandom rnd, int rows, int cols) {
        double limit = Math.sqrt(6.0 / (rows + cols));
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((rnd.nextDouble() * 2 - 1) * limit);
        }
        return w;
    }

    /** Adam state for one parameter array. */
    private static final class Adam {
        private static final double B1 = 0.9;
        private static final double B2 = 0.999;
        private static final double EPS = 1e-8;
        private final float[] m;
        private final float[] v;
        private int t;

        Adam(int n) {
            m = new float[n];
            v = new float[n];
        }

        void step(float[] w, float[] g, double lr) {
            t++;
            double c1 = 1 - Math.pow(B1, t);
            double c2 = 1 - Math.pow(B2, t);
            for (int i = 0; i < w.length; i++) {
                float gi = g[i];
                m[i] = (float) (B1 * m[i] + (1 - B1) * gi);
                v[i] = (float) (B2 * v[i] + (1 - B2) * gi * gi);
                w[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS));
            }
        }
    }
}
