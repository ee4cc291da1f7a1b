package dev.rwkvedge.spi;

/**
 * One linear map of the model, {@code y = W·x}, bound to its weights: a dense matrix, a low-rank product, or
 * whatever an {@link OperatorProvider} implements (DESIGN.md §4, operator vocabulary). Immutable and shared by
 * sessions; all mutable memory is passed in.
 */
public interface LinearOperator {
    /** Output size. */
    int rows();

    /** Input size. */
    int cols();

    /** Floats of scratch this operator needs per token (0 for a dense product). */
    default int scratchPerToken() {
        return 0;
    }

    /**
     * {@code out[outOff + t·rows + o] = Σ_i W[o][i]·x[xOff + t·cols + i]} for {@code t < n}.
     *
     * @param scratch at least {@code n · scratchPerToken()} floats the operator may overwrite
     */
    void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch);

    /** Weight bytes read for one token (for bandwidth accounting). */
    long bytesPerToken();

    /** The operator's name in the vocabulary, e.g. {@code dense} or {@code lowrank}. */
    String kind();

    /**
     * The tensors this operator holds and how (resident, on demand, load only), for the memory account. The default
     * claims nothing, so every tensor it reads counts as resident: correct for a dense map, conservative otherwise.
     */
    default Footprint footprint() {
        return Footprint.NONE;
    }

}
