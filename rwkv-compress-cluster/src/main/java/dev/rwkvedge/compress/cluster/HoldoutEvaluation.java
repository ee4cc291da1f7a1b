package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.operators.HeadStats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;

/**
 * Compares the bound clustered head with the dense head on held-out calibration states (hidden states the cluster
 * head was not trained on): top-1 agreement, mean KL(dense ‖ clustered) in nats, and the clusters and head share
 * computed per token. This is the step's own quality report; the end-to-end numbers come from the evaluator.
 *
 * @param states       states compared
 * @param agreement    share of states where both heads have the same arg-max
 * @param kl           mean KL(dense ‖ clustered); infinite when fallback none drops a token the dense head gives mass
 * @param work         clusters and head share per token
 */
record HoldoutEvaluation(int states, double agreement, double kl, HeadStats.Snapshot work) {
    /** @param head a freshly bound head, so its {@link ClusteredHead#stats()} count exactly these states */
    static HoldoutEvaluation run(KernelBackend backend, Tensor denseHead, ClusteredHead head, float[] x, int from, int to) {
        int dim = denseHead.cols();
        int vocab = denseHead.rows();
        float[] dense = new float[vocab];
        float[] clustered = new float[vocab];
        float[] scratch = new float[head.scratchPerToken()];
        double kl = 0;
        int agree = 0;
        for (int r = from; r < to; r++) {
            backend.matmul(denseHead, x, r * dim, dense, 0, 1);
            head.apply(backend, x, r * dim, clustered, 0, 1, scratch);
            kl += kl(dense, clustered);
            if (argmax(dense) == argmax(clustered)) {
                agree++;
            }
        }
        int n = to - from;
        return new HoldoutEvaluation(n, n == 0 ? Double.NaN : (double) agree / n, n == 0 ? Double.NaN : kl / n,
                head.stats().snapshot());
    }

    static double kl(float[] ref, float[] model) {
        return Evaluator.kl(Evaluator.logSoftmax(ref), Evaluator.logSoftmax(model));
    }

    static int argmax(float[] a) {
        return Evaluator.argmax(a);
    }
}
