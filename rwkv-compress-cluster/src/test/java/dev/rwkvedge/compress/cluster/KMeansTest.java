package dev.rwkvedge.compress.cluster;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KMeansTest {
    /** {@code n} points around {@code blobs} well-separated centres in {@code d} dimensions; returns the points. */
    static float[] blobs(int n, int d, int blobs, long seed, int[] truth) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] centres = new float[blobs * d];
        for (int i = 0; i < centres.length; i++) {
            centres[i] = (float) (r.nextGaussian() * 20);
        }
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            int b = i % blobs;
            truth[i] = b;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = centres[b * d + j] + (float) r.nextGaussian() * 0.5f;
            }
        }
        return x;
    }

    @Test
    void sameSeedSameClustersOtherSeedOtherClusters() {
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[500 * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] a = KMeans.fit(x, 500, 8, 20, 30, new SplittableRandom(42));
        int[] b = KMeans.fit(x, 500, 8, 20, 30, new SplittableRandom(42));
        int[] c = KMeans.fit(x, 500, 8, 20, 30, new SplittableRandom(43));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c), "a different seed should give a different local optimum on noise");
    }

    @Test
    void recoversSeparatedBlobsAndLeavesNoClusterEmpty() {
        int[] truth = new int[400];
        float[] x = blobs(400, 6, 10, 3, truth);
        int[] a = KMeans.fit(x, 400, 6, 10, 50, new SplittableRandom(9));
        int[] sizes = new int[10];
        int[] map = new int[10];
        java.util.Arrays.fill(map, -1);
        for (int i = 0; i < 400; i++) {
            sizes[a[i]]++;
            if (map[truth[i]] < 0) {
                map[truth[i]] = a[i];
            }
            assertEquals(map[truth[i]], a[i], "point " + i + " left its blob's cluster");
        }
        for (int s : sizes) {
            assertEquals(40, s);
        }
    }

    @Test
    void moreClustersThanDistinctPointsStillFillsEveryCluster() {
        float[] x = new float[50 * 2];
        for (int i = 0; i < 50; i++) {
            x[2 * i] = i % 3;
        }
        int[] a = KMeans.fit(x, 50, 2, 7, 10, new SplittableRandom(1));
        boolean[] used = new boolean[7];
        for (int v : a) {
            used[v] = true;
        }
        for (boolean u : used) {
            assertTrue(u);
        }
    }

    @Test
    void pcaKeepsTheDominantDirection() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 300;
        int d = 10;
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            double s = r.nextGaussian() * 10;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) (s * (j == 3 ? 1 : 0) + r.nextGaussian() * 0.1);
            }
        }
        float[] p = Pca.project(x, n, d, 1, 1000, new SplittableRandom(1));
        double var = 0;
        for (int i = 0; i < n; i++) {
            var += p[i] * p[i];
        }
        double total = 0;
        double mean3 = 0;
        for (int i = 0; i < n; i++) {
            mean3 += x[i * d + 3];
        }
        mean3 /= n;
        for (int i = 0; i < n; i++) {
            total += (x[i * d + 3] - mean3) * (x[i * d + 3] - mean3);
        }
        assertEquals(1.0, var / total, 0.01, "the first component carries the variance of axis 3");
    }
}
