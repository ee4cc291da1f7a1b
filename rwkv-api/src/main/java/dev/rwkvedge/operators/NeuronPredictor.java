package dev.rwkvedge.operators;

/**
 * Decides, before any key row is read, which FFN neurons of one token will be active (PAPER.md §3.3-3.5). Immutable
 * and shared by sessions; per-thread buffers come in a {@link SparseWorkspace}.
 */
public interface NeuronPredictor {
    /**
     * Writes the predicted-active neurons of the token {@code x[xOff .. xOff+C)} into {@code selected} in ascending
     * order and returns how many there are.
     */
    int select(float[] x, int xOff, int[] selected, SparseWorkspace ws);

    /** Predictor bytes read per token (for the bytes-touched account). */
    long bytesPerToken();
}
