package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;

/**
 * Decides, before any key row is read, which FFN neurons of one token will be active (PAPER.md §3.3-3.5). Immutable
 * and shared by sessions; per-thread buffers come in a {@link SparseWorkspace}.
 */
public interface NeuronPredictor {
    /**
     * Writes the predicted-active neurons of the token {@code x[xOff .. xOff+C)} into {@code selected} in ascending
     * order and returns how many there are. {@code selected} holds at least F entries (every neuron may be
     * predicted); entries past the returned count may be overwritten.
     *
     * @param backend runs the predictor's matrix products (the MLP's P1 and P2): the backend the model runs on, so
     *                the operator needs no backend of its own and works on whichever one binds it (DESIGN.md §3-4)
     */
    int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws);

    /**
     * Sequence mode: the selections of {@code n} tokens at {@code x[t·cols ..]} ({@code cols} = the model width),
     * token t's neurons in ascending order into {@code selected[t·ffn ..]} and their number into {@code counts[t]}:
     * exactly what {@link #select} gives each token alone, while the predictor's weights can be read once for the
     * chunk. The default calls {@link #select} token by token.
     */
    default void selectChunk(KernelBackend backend, float[] x, int cols, int n, int ffn, int[] selected, int[] counts,
                             SparseWorkspace ws) {
        for (int t = 0; t < n; t++) {
            int count = select(backend, x, t * cols, ws.single, ws);
            System.arraycopy(ws.single, 0, selected, t * ffn, count);
            counts[t] = count;
        }
    }

    /** Predictor bytes read per token (for the bytes-touched account). */
    long bytesPerToken();
}
