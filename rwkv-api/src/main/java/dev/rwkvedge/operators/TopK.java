package dev.rwkvedge.operators;

/**
 * The indices of the {@code k} largest scores in ascending index order, in O(F) time without a sort, so the per-token
 * quantile of PAPER.md §3.4 stays cheap: the k-th largest value is found by a radix select on the scores'
 * order-preserving integer keys, then one pass takes every score above it and the first ties at it.
 *
 * <h2>Keys</h2>
 * <pre>
 *   b = floatToRawIntBits(s)      s ≥ +0: key = b ^ 0x80000000     (top bit set, magnitude order)
 *                                  s ≤ −0: key = ~b                 (top bit clear, reversed magnitude order)
 * </pre>
 * Compared as unsigned integers the keys order as the floats do (−0 just below +0; the scores are never NaN). The
 * select takes the highest byte first: a 256-bucket histogram of the candidates, the bucket that holds the k-th
 * largest, its members kept as the next candidates; four passes at most, the first over all F scores and the rest
 * over a few. It replaced a quickselect whose data-dependent branches cost about 50 µs per token and layer at F = 2688
 * (10 % of the 169M-class edge model's prefill); the selection is the same, since it depends only on the k-th
 * largest value and the scores' order.
 */
final class TopK {
    /** Histogram buckets per pass (one byte of the key). */
    static final int BUCKETS = 256;

    private TopK() {
    }

    /**
     * @param scores the scores at {@code scores[off .. off+n)}
     * @param k      1 ≤ k ≤ n
     * @param work   at least {@code n + 4 · BUCKETS} ints, overwritten
     * @param out    receives the indices (relative to {@code off})
     * @return the number of indices written (exactly {@code k}; ties at the cut are taken lowest index first)
     */
    static int select(float[] scores, int off, int n, int k, int[] work, int[] out) {
        float cut = kthLargest(scores, off, n, k, work);
        int above = 0;
        for (int j = 0; j < n; j++) {
            above += scores[off + j] > cut ? 1 : 0;
        }
        int ties = k - above;
        int m = 0;
        for (int j = 0; j < n; j++) {
            float s = scores[off + j];
            boolean tie = s == cut;
            boolean take = s > cut | tie & ties > 0;
            ties -= tie ? 1 : 0;
            out[m] = j;
            m += take ? 1 : 0;
        }
        return m;
    }

    /** The k-th largest of {@code scores[off .. off+n)}, by the radix select of the class comment. */
    static float kthLargest(float[] scores, int off, int n, int k, int[] work) {
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(scores[off + i]);
            work[i] = b ^ (b >> 31 | 0x80000000);
        }
        int candidates = n;
        int rank = k;
        for (int shift = 24; shift >= 0 && candidates > 1; shift -= 8) {
            // Four interleaved histograms: scores of one magnitude share few top bytes, and increments of one counter
            // would wait on each other's stores.
            java.util.Arrays.fill(work, n, n + 4 * BUCKETS, 0);
            int i = 0;
            for (; i + 3 < candidates; i += 4) {
                work[n + (work[i] >>> shift & 0xFF)]++;
                work[n + BUCKETS + (work[i + 1] >>> shift & 0xFF)]++;
                work[n + 2 * BUCKETS + (work[i + 2] >>> shift & 0xFF)]++;
                work[n + 3 * BUCKETS + (work[i + 3] >>> shift & 0xFF)]++;
            }
            for (; i < candidates; i++) {
                work[n + (work[i] >>> shift & 0xFF)]++;
            }
            int digit = BUCKETS - 1;
            int count;
            while ((count = work[n + digit] + work[n + BUCKETS + digit] + work[n + 2 * BUCKETS + digit]
                    + work[n + 3 * BUCKETS + digit]) < rank) {
                rank -= count;
                digit--;
            }
            int kept = 0;
            for (int c = 0; c < candidates; c++) {
                int key = work[c];
                work[kept] = key;
                kept += (key >>> shift & 0xFF) == digit ? 1 : 0;
            }
            candidates = kept;
        }
        // The remaining candidates share every byte examined; with more than one left all four bytes were examined,
        // so they are equal: any of them is the k-th largest key.
        int key = work[0];
        return Float.intBitsToFloat(key < 0 ? key ^ 0x80000000 : ~key);
    }
}
