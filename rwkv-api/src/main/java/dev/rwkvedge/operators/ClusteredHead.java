package dev.rwkvedge.operators;

import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/**
 * Operator {@code clustered} for the output head (DESIGN.md §4; PAPER.md §4): a two-level head that computes exact
 * logits only for the tokens of the most probable vocabulary clusters.
 *
 * <ol>
 *   <li>Cluster logits {@code z = H1·x + b} (H1: K × D, the distilled cluster head) and
 *       {@code log P(c) = z_c − logsumexp(z)}.</li>
 *   <li>{@link ClusterSelection} takes clusters in descending {@code P(c)} until the mass reaches p-min, within
 *       [k-min, k-max].</li>
 *   <li>For every taken cluster, its contiguous block of the original head's rows (stored grouped by cluster) is
 *       multiplied by the backend, so those logits are bit-for-bit the dense head's, and scattered to token order.</li>
 *   <li>Every other token gets either −∞ ({@link Fallback#NONE}) or a pseudo-logit ({@link Fallback#PSEUDO}).</li>
 * </ol>
 *
 * <h2>Pseudo-logits (one global normalisation)</h2>
 * Let S be the taken clusters, {@code L = logsumexp} of the exact logits of S's tokens, {@code P_S = Σ_{c∈S} P(c)}
 * and, for a token t of an untaken cluster j, {@code q(t|j)} a fixed within-cluster distribution stored with the
 * model ({@code head.clusters.prior} holds {@code log q}; uniform {@code 1/n_j} reproduces the paper's Eq. 9). Then
 * <pre>  ℓ_t = L + log P(j) − log P_S + log q(t|j).</pre>
 * Summing exponentials: the taken tokens contribute {@code e^L}, cluster j contributes {@code e^L·P(j)/P_S}, so the
 * total is {@code e^L / P_S} and the softmax gives every untaken cluster exactly its H1 mass {@code P(j)} and the
 * taken tokens {@code P_S} times their exact relative probabilities: a proper distribution over the whole vocabulary,
 * so perplexity and KL are defined. Unlike the paper's TorchScript path (a separate max per cluster, PAPER.md §4.3
 * code caveat) L is one log-sum-exp over all exact logits, shifted by their single maximum.
 *
 * <p>Immutable and shared by sessions: all per-token memory is the caller's scratch ({@code 2K + largest cluster}
 * floats; tokens are processed one at a time); {@link #stats()} counts from all threads.
 */
public final class ClusteredHead implements LinearOperator {
    /** What untaken clusters' tokens receive. */
    public enum Fallback {
        /** The normalised pseudo-logits above. */
        PSEUDO,
        /** −∞: the tokens are excluded (perplexity is infinite when one of them occurs). */
        NONE;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Fallback of(String id) {
            for (Fallback f : values()) {
                if (f.id().equals(id)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("fallback must be pseudo or none, got " + id);
        }
    }

    private final Tensor centroids;
    private final float[] bias;
    private final Tensor[] clusterRows;
    private final int[] order;
    private final int[] offsets;
    private final float[] logPrior;
    private final ClusterSelection selection;
    private final Fallback fallback;
    private final int vocab;
    private final int dim;
    private final int k;
    private final int largest;
    private final long rowBytes;
    private final HeadStats stats;
    private final Tensor rowsTensor;
    private final Footprint decoded;
    private final double expectedHeadShare;

    /**
     * @param centroids  H1, K × D (any dense dtype)
     * @param bias       K cluster biases
     * @param rows       the head's V rows grouped by cluster (row i is token {@code order[i]})
     * @param order      position in {@code rows} → token id, a permutation of 0..V−1
     * @param offsets    K + 1 ascending offsets: cluster c owns rows {@code [offsets[c], offsets[c+1])}
     * @param logPrior   per position, {@code log q(token | its cluster)}
     */
    public ClusteredHead(Tensor centroids, float[] bias, Tensor rows, int[] order, int[] offsets, float[] logPrior,
                         ClusterSelection selection, Fallback fallback) {
        this(centroids, bias, rows, order, offsets, logPrior, selection, fallback, Footprint.NONE, Double.NaN);
    }

    /**
     * @param decoded           the file tensors the arrays above were decoded from (resident: bias, order, offsets,
     *                          prior; load only: the token→cluster map), for the memory account
     * @param expectedHeadShare the mean share of head rows computed per token measured when the head was built
     *                          (the {@code cluster-head} step records it), NaN when unknown
     */
    public ClusteredHead(Tensor centroids, float[] bias, Tensor rows, int[] order, int[] offsets, float[] logPrior,
                         ClusterSelection selection, Fallback fallback, Footprint decoded, double expectedHeadShare) {
        this.k = centroids.rows();
        this.dim = centroids.cols();
        this.vocab = rows.rows();
        if (rows.cols() != dim || bias.length != k || order.length != vocab || logPrior.length != vocab
                || offsets.length != k + 1 || offsets[0] != 0 || offsets[k] != vocab) {
            throw new IllegalArgumentException("clustered head parts disagree: H1 " + k + "×" + dim + ", rows "
                    + vocab + "×" + rows.cols() + ", bias " + bias.length + ", order " + order.length + ", prior "
                    + logPrior.length + ", offsets " + offsets.length);
        }
        boolean[] seen = new boolean[vocab];
        for (int t : order) {
            if (t < 0 || t >= vocab || seen[t]) {
                throw new IllegalArgumentException("clustered head order is not a permutation of the vocabulary (token " + t + ")");
            }
            seen[t] = true;
        }
        this.centroids = centroids;
        this.bias = bias.clone();
        this.order = order.clone();
        this.offsets = offsets.clone();
        this.logPrior = logPrior.clone();
        this.selection = selection;
        this.fallback = fallback;
        this.rowBytes = rows.rowBytesWithScale();
        this.clusterRows = new Tensor[k];
        int max = 1;
        for (int c = 0; c < k; c++) {
            int n = offsets[c + 1] - offsets[c];
            if (n < 0) {
                throw new IllegalArgumentException("clustered head offsets decrease at cluster " + c);
            }
            max = Math.max(max, n);
            // A view of the cluster's rows; per-row INT8 rows bring their slice of the scale vector (PAPER.md §4.3:
            // with INT8 the per-cluster head slices carry their own slice of the quantization vector).
            clusterRows[c] = rows.rowRange(offsets[c], n).renamed(rows.name() + "[cluster " + c + "]");
        }
        this.largest = max;
        this.stats = new HeadStats(k, vocab);
        this.rowsTensor = rows;
        this.decoded = decoded;
        this.expectedHeadShare = expectedHeadShare;
    }

    public int clusters() {
        return k;
    }

    public ClusterSelection selection() {
        return selection;
    }

    public Fallback fallback() {
        return fallback;
    }

    /** Work counted over every token this operator computed, from all sessions. */
    public HeadStats stats() {
        return stats;
    }

    @Override
    public int rows() {
        return vocab;
    }

    @Override
    public int cols() {
        return dim;
    }

    @Override
    public int scratchPerToken() {
        return 2 * k + largest;
    }

    @Override
    public void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch) {
        for (int t = 0; t < n; t++) {
            applyOne(backend, x, xOff + t * dim, out, outOff + t * vocab, scratch);
        }
    }

    private void applyOne(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, float[] scratch) {
        backend.matmul(centroids, x, xOff, scratch, 0, 1);
        double zMax = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            scratch[c] += bias[c];
            zMax = Math.max(zMax, scratch[c]);
        }
        double zSum = 0;
        for (int c = 0; c < k; c++) {
            zSum += Math.exp(scratch[c] - zMax);
        }
        double zLse = zMax + Math.log(zSum);
        int taken = selection.select(scratch, 0, k, zLse, scratch, k);
        int tmp = 2 * k;
        int rowsDone = 0;
        double pTaken = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            if (scratch[k + c] == 0f) {
                continue;
            }
            pTaken += Math.exp(scratch[c] - zLse);
            int from = offsets[c];
            int len = offsets[c + 1] - from;
            backend.matmul(clusterRows[c], x, xOff, scratch, tmp, 1);
            for (int i = 0; i < len; i++) {
                float v = scratch[tmp + i];
                out[outOff + order[from + i]] = v;
                max = Math.max(max, v);
            }
            rowsDone += len;
        }
        stats.record(taken, rowsDone);
        if (rowsDone == vocab) {
            return;
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            if (scratch[k + c] != 0f) {
                for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                    sum += Math.exp(out[outOff + order[i]] - max);
                }
            }
        }
        double known = max + Math.log(sum);
        double logTaken = Math.log(pTaken);
        for (int c = 0; c < k; c++) {
            if (scratch[k + c] != 0f) {
                continue;
            }
            if (fallback == Fallback.NONE) {
                for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                    out[outOff + order[i]] = Float.NEGATIVE_INFINITY;
                }
            } else {
                double base = known + (scratch[c] - zLse) - logTaken;
                for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                    out[outOff + order[i]] = (float) (base + logPrior[i]);
                }
            }
        }
    }

    /**
     * H1 plus the exact rows computed: the mean over the tokens counted so far, or every row before any token was
     * computed (an upper bound), so that bandwidth accounting reflects the measured share.
     */
    @Override
    public long bytesPerToken() {
        HeadStats.Snapshot s = stats.snapshot();
        double rows = s.tokens() == 0 ? vocab : s.meanHeadShare() * vocab;
        return centroids.byteSizeWithScale() + 4L * k + Math.round(rows * rowBytes);
    }

    /** Bytes of the head rows a dense head reads per token, for comparison. */
    public long denseBytesPerToken() {
        return vocab * rowBytes;
    }

    @Override
    public String kind() {
        return "clustered";
    }

    /**
     * H1 and the decoded small tensors are resident; the head rows are on demand (PAPER.md §4: "original-head slices
     * as L2"), of which the expected share measured when the head was built is read per token.
     */
    @Override
    public Footprint footprint() {
        return Footprint.resident(centroids).plus(decoded).plus(Footprint.onDemand(rowsTensor, expectedHeadShare));
    }
}
