package dev.rwkvedge.compress.cluster;

import java.util.random.RandomGenerator;

/**
 * Projects row vectors onto their leading principal components before k-means (PAPER.md §4.1: the authors take
 * {@code torch.pca_lowrank(emb, q=256, center=True)} and keep 200 components). We centre the rows, form the
 * D × D covariance (from a seeded sample of at most {@code sampleRows} rows, which estimates it well and keeps the
 * cost at sample·D² instead of V·D²), and find its top eigenvectors by orthogonal subspace iteration (Golub & Van
 * Loan, <i>Matrix Computations</i>, §8.2.4) — no linear-algebra library, deterministic for a seed.
 */
final class Pca {
    private static final int ITERATIONS = 40;

    private Pca() {
    }

    /**
     * @param x          {@code n × d} rows, row-major
     * @param dims       components to keep; when {@code dims ≥ d} the centred rows are returned unchanged (a
     *                   rotation would not change k-means distances)
     * @return {@code n × min(dims, d)} projected rows
     */
    static float[] project(float[] x, int n, int d, int dims, int sampleRows, RandomGenerator random) {
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                mean[j] += x[r * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        if (dims >= d) {
            float[] out = new float[n * d];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < d; j++) {
                    out[r * d + j] = (float) (x[r * d + j] - mean[j]);
                }
            }
            return out;
        }
        int m = Math.min(n, sampleRows);
        int[] rows = sample(n, m, random);
        double[] cov = new double[d * d];
        double[] row = new double[d];
        for (int r : rows) {
            for (int j = 0; j < d; j++) {
                row[j] = x[r * d + j] - mean[j];
            }
            for (int i = 0; i < d; i++) {
                double ri = row[i];
                int base = i * d;
                for (int j = i; j < d; j++) {
                    cov[base + j] += ri * row[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                cov[j * d + i] = cov[i * d + j];
            }
        }
        double[] basis = topEigenvectors(cov, d, dims, random);
        float[] out = new float[n * dims];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                row[j] = x[r * d + j] - mean[j];
            }
            for (int c = 0; c < dims; c++) {
                double s = 0;
                int base = c * d;
                for (int j = 0; j < d; j++) {
                    s += row[j] * basis[base + j];
                }
                out[r * dims + c] = (float) s;
            }
        }
        return out;
    }

    /** {@code dims} orthonormal vectors (rows of the result) spanning the dominant eigenspace of symmetric {@code a}. */
    static double[] topEigenvectors(double[] a, int d, int dims, RandomGenerator random) {
        double[] q = new double[dims * d];
        for (int i = 0; i < q.length; i++) {
            q[i] = random.nextGaussian();
        }
        orthonormalise(q, dims, d);
        double[] z = new double[dims * d];
        for (int it = 0; it < ITERATIONS; it++) {
            java.util.Arrays.fill(z, 0);
            for (int c = 0; c < dims; c++) {
                int qc = c * d;
                for (int i = 0; i < d; i++) {
                    double s = 0;
                    int ai = i * d;
                    for (int j = 0; j < d; j++) {
                        s += a[ai + j] * q[qc + j];
                    }
                    z[qc + i] = s;
                }
            }
            orthonormalise(z, dims, d);
            double[] t = q;
            q = z;
            z = t;
        }
        return q;
    }

    /** Modified Gram-Schmidt on the rows; a degenerate row is replaced by the next unit vector (one outside the span exists since rows < d). */
    private static void orthonormalise(double[] v, int rows, int d) {
        int attempt = 0;
        for (int r = 0; r < rows; r++) {
            int br = r * d;
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < r; p++) {
                    int bp = p * d;
                    double dot = 0;
                    for (int j = 0; j < d; j++) {
                        dot += v[br + j] * v[bp + j];
                    }
                    for (int j = 0; j < d; j++) {
                        v[br + j] -= dot * v[bp + j];
                    }
                }
            }
            double norm = 0;
            for (int j = 0; j < d; j++) {
                norm += v[br + j] * v[br + j];
            }
            norm = Math.sqrt(norm);
            if (norm < 1e-12) {
                java.util.Arrays.fill(v, br, br + d, 0);
                v[br + (r + attempt++) % d] = 1;
                r--;
                continue;
            }
            for (int j = 0; j < d; j++) {
                v[br + j] /= norm;
            }
        }
    }

    /** {@code m} distinct indices of {@code 0..n−1} in ascending order (partial Fisher-Yates). */
    private static int[] sample(int n, int m, RandomGenerator random) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        for (int i = 0; i < m; i++) {
            int j = i + random.nextInt(n - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] out = java.util.Arrays.copyOf(idx, m);
        java.util.Arrays.sort(out);
        return out;
    }
}
