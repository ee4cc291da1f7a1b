package dev.rwkvedge.operators;

/**
 * Which clusters a clustered head computes exactly (PAPER.md §4.3 step 1): clusters in descending probability
 * until their cumulative probability reaches {@code pMin}, but at least {@code kMin} and at most {@code kMax}
 * clusters. With {@code pMin ≥ 1} the mass test never stops the walk, so exactly {@code min(kMax, K)} clusters are
 * taken; float rounding of the cumulative sum therefore cannot drop a cluster when every cluster is wanted.
 *
 * <p>The descending order is produced by repeated arg-max over the not-yet-taken clusters, which costs
 * {@code O(K·taken)} compares and allocates nothing; for K = 200 and 100 taken clusters that is far below the cost of
 * one cluster's logits.
 */
public record ClusterSelection(double pMin, int kMin, int kMax) {
    public ClusterSelection {
        if (!(pMin > 0 && pMin <= 1)) {
            throw new IllegalArgumentException("p-min must be in (0, 1], got " + pMin);
        }
        if (kMin < 1 || kMax < kMin) {
            throw new IllegalArgumentException("need 1 ≤ k-min ≤ k-max, got k-min " + kMin + ", k-max " + kMax);
        }
    }

    /**
     * Marks the taken clusters.
     *
     * @param z     cluster logits at {@code z[zOff .. zOff + k)}
     * @param lse   log-sum-exp of those logits, so {@code P(c) = exp(z[c] − lse)}
     * @param taken receives 1 for a taken cluster and 0 otherwise at {@code taken[takenOff .. takenOff + k)}
     * @return the number of clusters taken
     */
    public int select(float[] z, int zOff, int k, double lse, float[] taken, int takenOff) {
        java.util.Arrays.fill(taken, takenOff, takenOff + k, 0f);
        int limit = Math.min(kMax, k);
        double cumulative = 0;
        int count = 0;
        while (count < limit) {
            if (count >= kMin && pMin < 1 && cumulative >= pMin) {
                break;
            }
            int best = -1;
            float bestZ = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                if (taken[takenOff + c] == 0f && (best < 0 || z[zOff + c] > bestZ)) {
                    best = c;
                    bestZ = z[zOff + c];
                }
            }
            taken[takenOff + best] = 1f;
            cumulative += Math.exp(bestZ - lse);
            count++;
        }
        return count;
    }
}
