package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;

/**
 * Decides, before any key row is read, which FFN neurons of one token will be active (PAPER.md §3.3-3.5). Immutable
 * and shared by sessions; per-thread buffers come in a {@link SparseWorkspace}.
 */
public interface NeuronPredictor {
    /**
     * Writes the predicted-active neurons of the token {@code x[xOff .. xOff+C)} into {@code selected} in ascending
     * order and returns how many there are.
     *
     * @param backend runs the predictor's matrix products (the MLP's P1 and P2): the backend the model runs on, so
     *                the operator needs no backend of its own and works on whichever one binds it (DESIGN.md §3-4)
     */
    int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws);

    /** Predictor bytes read per token (for the bytes-touched account). */
    long bytesPerToken();
}
