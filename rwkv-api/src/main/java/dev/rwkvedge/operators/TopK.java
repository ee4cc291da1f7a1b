package dev.rwkvedge.operators;

/**
 * The indices of the {@code k} largest scores in ascending index order, in O(F) expected time (quickselect for the
 * k-th largest value, then one pass), so the per-token quantile of PAPER.md §3.4 costs no sort.
 */
final class TopK {
    private TopK() {
    }

    /**
     * @param work at least {@code n} floats, overwritten
     * @return the number of indices written (exactly {@code k}; ties at the cut are taken lowest index first)
     */
    static int select(float[] scores, int n, int k, float[] work, int[] out) {
        System.arraycopy(scores, 0, work, 0, n);
        float cut = kthLargest(work, n, k);
        int above = 0;
        for (int j = 0; j < n; j++) {
            if (scores[j] > cut) {
                above++;
            }
        }
        int ties = k - above;
        int m = 0;
        for (int j = 0; j < n; j++) {
            float s = scores[j];
            if (s > cut || (s == cut && ties-- > 0)) {
                out[m++] = j;
            }
        }
        return m;
    }

    /** Hoare-style quickselect with a median-of-three pivot; reorders {@code a}. */
    private static float kthLargest(float[] a, int n, int k) {
        int target = k - 1;
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            float pivot = median(a[lo], a[mid], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] > pivot) {
                    i++;
                }
                while (a[j] < pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return a[target];
            }
        }
        return a[target];
    }

    private static float median(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }
}
