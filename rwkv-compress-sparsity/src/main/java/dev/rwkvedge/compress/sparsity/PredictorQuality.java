package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.operators.NeuronPredictor;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.spi.KernelBackend;

/**
 * How well a predictor matches the true active neurons on recorded tokens (PAPER.md §3.3 reports the same recall and
 * predicted sparsity), and what the predicted-sparse FFN would read: the predictor, the key row of every predicted
 * neuron, and the value row of every predicted neuron that is truly active.
 *
 * @param recall             truly active neurons predicted / truly active neurons
 * @param precision          truly active neurons predicted / predicted neurons
 * @param trueSparsity       fraction of neurons inactive
 * @param predictedSparsity  fraction of neurons not predicted
 * @param bytesPerToken      FFN bytes read per token by the predicted-sparse operator
 */
public record PredictorQuality(int tokens, double recall, double precision, double trueSparsity,
                               double predictedSparsity, double bytesPerToken) {

    /**
     * Share of the neurons both predicted and active per token, i.e. of the value rows the predicted-sparse FFN
     * reads: {@code recall · (1 − trueSparsity)}.
     */
    public double valueShare() {
        return recall * (1 - trueSparsity);
    }

    /** Runs {@code predictor} on tokens {@code [from, to)} of {@code data}, its products on {@code backend}. */
    public static PredictorQuality measure(KernelBackend backend, NeuronPredictor predictor, int mlpRank,
                                           LayerActivations data, int from, int to, long keyRowBytes,
                                           long valueRowBytes) {
        int f = data.ffn();
        SparseWorkspace ws = new SparseWorkspace(data.embd(), f, mlpRank);
        int[] selected = new int[f];
        long tp = 0;
        long predicted = 0;
        long active = 0;
        for (int t = from; t < to; t++) {
            int n = predictor.select(backend, data.inputs(), t * data.embd(), selected, ws);
            predicted += n;
            active += data.activeCount(t);
            for (int s = 0; s < n; s++) {
                if (data.active(t, selected[s])) {
                    tp++;
                }
            }
        }
        int tokens = to - from;
        double cells = (double) tokens * f;
        double bytes = tokens == 0 ? 0 : (predictor.bytesPerToken() * (double) tokens + predicted * keyRowBytes
                + tp * valueRowBytes) / tokens;
        return new PredictorQuality(tokens, active == 0 ? 1 : (double) tp / active,
                predicted == 0 ? 1 : (double) tp / predicted, 1 - active / cells, 1 - predicted / cells, bytes);
    }
}
