package dev.rwkvedge.compress.cluster;

import java.util.random.RandomGenerator;

/**
 * k-means with k-means++ seeding (Arthur &amp; Vassilvitskii, SODA 2007) and Lloyd iterations, as the authors ran
 * scikit-learn's KMeans on the PCA-projected vectors (PAPER.md §4.1). Single-threaded and driven only by the given
 * random source, so one seed always gives the same clusters. An empty cluster is re-seeded with the point farthest
 * from its centroid, so every cluster owns at least one token (the head's offsets stay strictly increasing).
 */
final class KMeans {
    private KMeans() {
    }

    /**
     * @param x          {@code n × d} points, row-major
     * @param iterations maximum Lloyd iterations (stops early when no point moves)
     * @return the cluster of every point, in {@code 0..k−1}, every cluster non-empty
     */
    static int[] fit(float[] x, int n, int d, int k, int iterations, RandomGenerator random) {
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k-means needs 1 ≤ k ≤ points, got k " + k + " for " + n + " points");
        }
        float[] centroids = seed(x, n, d, k, random);
        int[] assign = new int[n];
        java.util.Arrays.fill(assign, -1);
        float[] dist = new float[n];
        for (int it = 0; it < Math.max(1, iterations); it++) {
            boolean moved = assignAll(x, n, d, centroids, k, assign, dist);
            if (!moved && it > 0) {
                break;
            }
            update(x, n, d, centroids, k, assign, dist);
        }
        assignAll(x, n, d, centroids, k, assign, dist);
        fillEmpty(x, n, d, k, assign, dist);
        return assign;
    }

    private static float[] seed(float[] x, int n, int d, int k, RandomGenerator random) {
        float[] c = new float[k * d];
        int first = random.nextInt(n);
        System.arraycopy(x, first * d, c, 0, d);
        double[] best = new double[n];
        for (int i = 0; i < n; i++) {
            best[i] = sq(x, i * d, c, 0, d);
        }
        for (int j = 1; j < k; j++) {
            double total = 0;
            for (double b : best) {
                total += b;
            }
            int pick;
            if (total <= 0) {
                pick = random.nextInt(n);
            } else {
                double r = random.nextDouble() * total;
                pick = n - 1;
                for (int i = 0; i < n; i++) {
                    r -= best[i];
                    if (r < 0) {
                        pick = i;
                        break;
                    }
                }
            }
            System.arraycopy(x, pick * d, c, j * d, d);
            for (int i = 0; i < n; i++) {
                best[i] = Math.min(best[i], sq(x, i * d, c, j * d, d));
            }
        }
        return c;
    }

    private static boolean assignAll(float[] x, int n, int d, float[] c, int k, int[] assign, float[] dist) {
        boolean moved = false;
        for (int i = 0; i < n; i++) {
            int bestC = 0;
            double bestD = Double.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                double s = sq(x, i * d, c, j * d, d);
                if (s < bestD) {
                    bestD = s;
                    bestC = j;
                }
            }
            if (assign[i] != bestC) {
                moved = true;
                assign[i] = bestC;
            }
            dist[i] = (float) bestD;
        }
        return moved;
    }

    private static void update(float[] x, int n, int d, float[] c, int k, int[] assign, float[] dist) {
        double[] sum = new double[k * d];
        int[] count = new int[k];
        for (int i = 0; i < n; i++) {
            int j = assign[i];
            count[j]++;
            for (int t = 0; t < d; t++) {
                sum[j * d + t] += x[i * d + t];
            }
        }
        for (int j = 0; j < k; j++) {
            if (count[j] == 0) {
                int far = farthest(dist, assign, count);
                count[assign[far]]--;
                assign[far] = j;
                dist[far] = 0;
                count[j] = 1;
                System.arraycopy(x, far * d, c, j * d, d);
                continue;
            }
            for (int t = 0; t < d; t++) {
                c[j * d + t] = (float) (sum[j * d + t] / count[j]);
            }
        }
    }

    /** Moves the farthest point of a cluster with more than one point into each empty cluster. */
    private static void fillEmpty(float[] x, int n, int d, int k, int[] assign, float[] dist) {
        int[] count = new int[k];
        for (int a : assign) {
            count[a]++;
        }
        for (int j = 0; j < k; j++) {
            if (count[j] == 0) {
                int far = farthest(dist, assign, count);
                count[assign[far]]--;
                assign[far] = j;
                dist[far] = 0;
                count[j] = 1;
            }
        }
    }

    private static int farthest(float[] dist, int[] assign, int[] count) {
        int far = -1;
        for (int i = 0; i < dist.length; i++) {
            if (count[assign[i]] > 1 && (far < 0 || dist[i] > dist[far])) {
                far = i;
            }
        }
        return far;
    }

    private static double sq(float[] a, int ao, float[] b, int bo, int d) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            double diff = a[ao + t] - b[bo + t];
            s += diff * diff;
        }
        return s;
    }
}
