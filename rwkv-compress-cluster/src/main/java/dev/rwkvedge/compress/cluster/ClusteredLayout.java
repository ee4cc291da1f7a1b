package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays a clustered head out as the tensors {@link ClusteredHeadProvider} binds: the head's rows copied byte for
 * byte (any dtype, quantized rows included, per-row INT8 rows with their scales) into cluster order, so each cluster is one contiguous matrix the backend
 * multiplies exactly as it would the dense head's rows; the order, assignment and offsets; H1 and its bias; and the
 * within-cluster prior of the pseudo-logits.
 */
final class ClusteredLayout {
    /** Weight of the calibrated within-cluster distribution; the rest is uniform, so no token gets q = 0. */
    static final double PRIOR_MIX = 0.9;

    private ClusteredLayout() {
    }

    /** Position → token id, tokens sorted by cluster then id. */
    static int[] order(int[] assign, int k) {
        int[] offsets = offsets(assign, k);
        int[] next = offsets.clone();
        int[] order = new int[assign.length];
        for (int t = 0; t < assign.length; t++) {
            order[next[assign[t]]++] = t;
        }
        return order;
    }

    static int[] offsets(int[] assign, int k) {
        int[] offsets = new int[k + 1];
        for (int a : assign) {
            offsets[a + 1]++;
        }
        for (int c = 0; c < k; c++) {
            offsets[c + 1] += offsets[c];
        }
        return offsets;
    }

    /**
     * log q(t | c) per position: {@code 0.9·m_t/M_c + 0.1/n_c} from the calibration mass m (or uniform
     * {@code −log n_c}, the paper's Eq. 9, when {@code mass} is null or a cluster got no mass).
     */
    static float[] logPrior(int[] order, int[] offsets, double[] mass) {
        float[] out = new float[order.length];
        for (int c = 0; c + 1 < offsets.length; c++) {
            int n = offsets[c + 1] - offsets[c];
            double total = 0;
            if (mass != null) {
                for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                    total += mass[order[i]];
                }
            }
            for (int i = offsets[c]; i < offsets[c + 1]; i++) {
                double q = total > 0 ? PRIOR_MIX * mass[order[i]] / total + (1 - PRIOR_MIX) / n : 1.0 / n;
                out[i] = (float) Math.log(q);
            }
        }
        return out;
    }

    /** Every tensor of the clustered head. */
    static List<Tensor> tensors(Tensor head, int[] assign, int k, float[] h1, float[] bias, float[] logPrior) {
        int vocab = head.rows();
        int dim = head.cols();
        int[] order = order(assign, k);
        int[] offsets = offsets(assign, k);
        long rowBytes = head.rowBytes();
        MemorySegment rows = MemorySegment.ofArray(new byte[Math.toIntExact(vocab * rowBytes)]);
        for (int i = 0; i < vocab; i++) {
            MemorySegment.copy(head.data(), order[i] * rowBytes, rows, i * rowBytes, rowBytes);
        }
        List<Tensor> out = new ArrayList<>();
        out.add(Tensor.ofFloats(ClusteredHeadProvider.CENTROIDS, h1, k, dim));
        out.add(Tensor.ofFloats(ClusteredHeadProvider.BIAS, bias, k));
        Tensor weight = new Tensor(ClusteredHeadProvider.WEIGHT, head.dtype(), new long[] {vocab, dim}, rows);
        if (head.hasRowScale()) {
            // Per-row INT8 rows move with their scales (PAPER.md §4.3: each cluster's slice carries its own slice of
            // the quantization vector).
            float[] scale = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                scale[i] = head.rowScale(order[i]);
            }
            weight = weight.withRowScale(Tensor.ofFloats(Tensor.rowScaleName(ClusteredHeadProvider.WEIGHT), scale, vocab));
        }
        out.add(weight);
        out.add(ints(ClusteredHeadProvider.ORDER, order));
        out.add(ints(ClusteredHeadProvider.ASSIGN, assign));
        out.add(ints(ClusteredHeadProvider.OFFSETS, offsets));
        out.add(Tensor.ofFloats(ClusteredHeadProvider.PRIOR, logPrior, vocab));
        return out;
    }

    private static Tensor ints(String name, int[] values) {
        return new Tensor(name, DType.I32, new long[] {values.length}, MemorySegment.ofArray(values.clone()));
    }
}
