package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Binds {@link ClusteredHead} for {@code head.weight} when the dense head is absent and the {@code head.clusters.*}
 * tensors are present (DESIGN.md §4 naming). The selection settings are model metadata, so the runtime needs no
 * compressor; absent keys take the paper's values (p-min 0.95, k-min 3, k-max 100, pseudo fallback; PAPER.md §4.3).
 *
 * <table>
 *   <caption>Tensors</caption>
 *   <tr><td>{@code head.clusters.centroids}</td><td>K × D</td><td>H1, the cluster head (any dense dtype)</td></tr>
 *   <tr><td>{@code head.clusters.bias}</td><td>K, F32</td><td>cluster-logit bias</td></tr>
 *   <tr><td>{@code head.clusters.weight}</td><td>V × D</td><td>head rows grouped by cluster (original dtype)</td></tr>
 *   <tr><td>{@code head.clusters.order}</td><td>V, I32</td><td>row position → token id</td></tr>
 *   <tr><td>{@code head.clusters.assign}</td><td>V, I32</td><td>token id → cluster (checked against the order)</td></tr>
 *   <tr><td>{@code head.clusters.offsets}</td><td>K + 1, I32</td><td>first row of each cluster, then V</td></tr>
 *   <tr><td>{@code head.clusters.prior}</td><td>V, F32</td><td>per row, log q(token | cluster) for pseudo-logits</td></tr>
 * </table>
 */
public final class ClusteredHeadProvider implements OperatorProvider {
    public static final String HEAD = "head.weight";
    public static final String PREFIX = "head.clusters.";
    public static final String CENTROIDS = PREFIX + "centroids";
    public static final String BIAS = PREFIX + "bias";
    public static final String WEIGHT = PREFIX + "weight";
    public static final String ORDER = PREFIX + "order";
    public static final String ASSIGN = PREFIX + "assign";
    public static final String OFFSETS = PREFIX + "offsets";
    public static final String PRIOR = PREFIX + "prior";
    public static final String META_P_MIN = PREFIX + "p_min";
    public static final String META_K_MIN = PREFIX + "k_min";
    public static final String META_K_MAX = PREFIX + "k_max";
    public static final String META_FALLBACK = PREFIX + "fallback";
    /** Mean share of the head rows computed per token on held-out states (memory account only). */
    public static final String META_EXPECTED_SHARE = PREFIX + "expected_share";

    @Override
    public String name() {
        return "clustered";
    }

    @Override
    public Optional<LinearOperator> bindLinear(ModelWeights w, String name, int rows, int cols) {
        if (!HEAD.equals(name) || !w.contains(WEIGHT)) {
            return Optional.empty();
        }
        try {
            Tensor h1 = w.get(CENTROIDS);
            Tensor weight = w.get(WEIGHT);
            if (h1.rank() != 2 || h1.cols() != cols || weight.rank() != 2 || weight.rows() != rows || weight.cols() != cols) {
                throw new WeightFormatException(w.source(), WEIGHT, -1, "clustered head shapes " + Arrays.toString(h1.shape())
                        + " and " + Arrays.toString(weight.shape()) + " do not fit a (" + rows + ", " + cols + ") head");
            }
            int k = h1.rows();
            int[] order = ints(w, ORDER, rows);
            int[] assign = ints(w, ASSIGN, rows);
            int[] offsets = ints(w, OFFSETS, k + 1);
            for (int c = 0; c < k; c++) {
                for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                    if (i < 0 || i >= rows || order[i] < 0 || order[i] >= rows || assign[order[i]] != c) {
                        throw new WeightFormatException(w.source(), ASSIGN, -1, "row " + i + " of cluster " + c
                                + " disagrees with the token→cluster assignment");
                    }
                }
            }
            float[] bias = w.get(BIAS).toFloatArray();
            float[] prior = w.get(PRIOR).toFloatArray();
            var m = w.metadata();
            ClusterSelection sel = new ClusterSelection(
                    Double.parseDouble(m.getOrDefault(META_P_MIN, "0.95")),
                    Integer.parseInt(m.getOrDefault(META_K_MIN, "3")),
                    Integer.parseInt(m.getOrDefault(META_K_MAX, Integer.toString(Math.max(3, Math.min(100, k))))));
            ClusteredHead.Fallback fb = ClusteredHead.Fallback.of(m.getOrDefault(META_FALLBACK, "pseudo"));
            Footprint decoded = Footprint.decoded(w.get(BIAS), w.get(PRIOR))
                    .plus(Footprint.resident(w.get(ORDER), w.get(OFFSETS))).plus(Footprint.loadOnly(w.get(ASSIGN)));
            return Optional.of(new ClusteredHead(h1, bias, weight, order, offsets, prior, sel, fb, decoded,
                    MetadataShares.share(w, META_EXPECTED_SHARE)));
        } catch (IllegalArgumentException e) {
            throw new WeightFormatException(w.source(), WEIGHT, -1, "invalid clustered head: " + e.getMessage());
        }
    }

    private static int[] ints(ModelWeights w, String name, int len) {
        Tensor t = w.get(name);
        if (t.dtype() != DType.I32 || t.elementCount() != len) {
            throw new WeightFormatException(w.source(), name, -1, "must be I32 with " + len + " elements, is " + t);
        }
        return t.data().toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
    }
}
