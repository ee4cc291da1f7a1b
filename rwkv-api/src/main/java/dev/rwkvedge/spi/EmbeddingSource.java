package dev.rwkvedge.spi;

/**
 * Where the engine gets the input row of a token: the embedding row with block 0's {@code ln0} LayerNorm already
 * applied (RWKV-MATH.md; PAPER.md §5: the paper folds ln0 into the table before caching). The default reads the
 * mapped {@code emb.weight} row and normalises it on every call; an {@link OperatorProvider} may supply another
 * source, such as an LRU cache of normalised rows, when the model's metadata asks for it (DESIGN.md §4,
 * {@code cached} embedding). Shared by all sessions of a model, so implementations must be thread-safe.
 */
public interface EmbeddingSource {
    /** Writes the ln0-normalised embedding of {@code token} to {@code out[off .. off + nEmbd)}. */
    void lookup(int token, float[] out, int off);

    /** The source's name in the operator vocabulary, e.g. {@code direct} or {@code cached}. */
    String kind();

    /**
     * The tensors this operator holds and how (resident, on demand, load only), for the memory account. The default
     * claims nothing, so every tensor it reads counts as resident: correct for a dense map, conservative otherwise.
     */
    default Footprint footprint() {
        return Footprint.NONE;
    }

}
