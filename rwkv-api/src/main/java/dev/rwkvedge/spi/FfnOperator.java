package dev.rwkvedge.spi;

/**
 * The core of a channel mix, {@code out = V·relu²(K·x)} for {@code n} tokens, bound to its weights: two dense (or
 * low-rank) products, or an operator that computes only some neurons (DESIGN.md §4, {@code predicted-sparse}). The
 * receptance gate of v4-v6 stays outside. Immutable and shared by sessions.
 */
public interface FfnOperator {
    /** Floats of scratch per token, beyond the {@code hidden} buffer the engine passes. */
    default int scratchPerToken() {
        return 0;
    }

    /**
     * @param x       {@code n × embd} inputs (after token-shift mixing)
     * @param out     {@code n × embd} outputs
     * @param hidden  at least {@code n × ffn} floats for the hidden activations
     * @param scratch at least {@code n · scratchPerToken()} floats
     */
    void apply(KernelBackend backend, float[] x, float[] out, int n, float[] hidden, float[] scratch);

    /** The operator's name in the vocabulary, e.g. {@code dense} or {@code predicted-sparse}. */
    String kind();

    /**
     * The tensors this operator holds and how (resident, on demand, load only), for the memory account. The default
     * claims nothing, so every tensor it reads counts as resident: correct for a dense map, conservative otherwise.
     */
    default Footprint footprint() {
        return Footprint.NONE;
    }

}
