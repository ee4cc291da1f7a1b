package dev.rwkvedge.operators;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link TopK} against a selection by sorting, computed here: the k largest scores in index order, ties at the cut
 * taken lowest index first, on scores with many ties, both signs, ±0, subnormals and infinities, for every k of small
 * arrays and a spread of k at F = 2688, at an offset inside a larger array.
 */
class TopKTest {
    /** The reference: indices sorted by score descending, then index ascending; the first k, back in index order. */
    private static int[] bySorting(float[] scores, int off, int n, int k) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        // Float comparison as the operator's (−0 == +0), not Float.compare.
        Arrays.sort(idx, (a, b) -> {
            float x = scores[off + a];
            float y = scores[off + b];
            return x > y ? -1 : x < y ? 1 : Integer.compare(a, b);
        });
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        Arrays.sort(out);
        return out;
    }

    private static float[] scores(SplittableRandom rnd, int len) {
        float[] pool = {0f, -0f, 1f, -1f, 0.5f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 3.25f, -3.25f, 1e-30f};
        float[] s = new float[len];
        for (int i = 0; i < len; i++) {
            s[i] = rnd.nextInt(3) == 0 ? pool[rnd.nextInt(pool.length)] : (float) (rnd.nextGaussian() * 10);
        }
        return s;
    }

    private static void check(float[] s, int off, int n, int k) {
        int[] work = new int[n + 4 * TopK.BUCKETS];
        int[] out = new int[n];
        int m = TopK.select(s, off, n, k, work, out);
        assertEquals(k, m, "n " + n + " k " + k);
        assertArrayEquals(bySorting(s, off, n, k), Arrays.copyOf(out, m), "n " + n + " k " + k);
    }

    @Test
    void everyKOfSmallArraysMatchesSorting() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 2, 3, 17, 64}) {
            for (int rep = 0; rep < 20; rep++) {
                float[] s = scores(rnd, n + 9);
                for (int k = 1; k <= n; k++) {
                    check(s, 5, n, k);
                }
            }
        }
    }

    @Test
    void aFullLayerMatchesSorting() {
        SplittableRandom rnd = new SplittableRandom(4);
        int n = 2688;
        for (int rep = 0; rep < 5; rep++) {
            float[] s = scores(rnd, n + 3);
            for (int k : new int[] {1, 2, 100, 807, 1344, 2687, 2688}) {
                check(s, 3, n, k);
            }
        }
        float[] equal = new float[n];
        Arrays.fill(equal, 0.25f);
        check(equal, 0, n, 500);
    }
}
