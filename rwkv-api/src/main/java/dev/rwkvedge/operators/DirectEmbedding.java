package dev.rwkvedge.operators;

import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;

/**
 * The default {@link EmbeddingSource}: reads the token's row of {@code emb.weight} and applies ln0 with the
 * backend's LayerNorm, exactly what the engine did before embedding sources existed. Stateless, so thread-safe.
 */
public record DirectEmbedding(KernelBackend backend, Tensor emb, float[] ln0Weight, float[] ln0Bias, float eps)
        implements EmbeddingSource {
    @Override
    public void lookup(int token, float[] out, int off) {
        emb.readRow(token, out, off);
        backend.layerNorm(out, off, out, off, emb.cols(), ln0Weight, ln0Bias, eps);
    }

    /** Width of a row. */
    public int dim() {
        return emb.cols();
    }

    @Override
    public String kind() {
        return "direct";
    }

    /**
     * The whole table counts as resident: any row may be read for the next token, and the dense baseline of
     * PAPER.md §6 counts it so. (Mapped, it is paged in row by row; the {@code cached} source makes that explicit.)
     */
    @Override
    public Footprint footprint() {
        return Footprint.resident(emb);
    }
}
