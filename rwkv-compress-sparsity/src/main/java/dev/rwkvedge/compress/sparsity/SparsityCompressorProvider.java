package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;

/**
 * Pipeline step {@code sparsity}: FFN activation-sparsity predictors (PAPER.md §3) and the neuron-major weights the
 * {@code predicted-sparse} operator reads row by row. See {@link SparsityOptions} for the parameters.
 */
public final class SparsityCompressorProvider implements CompressorProvider {
    public static final String NAME = "sparsity";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Compressor create(Params params) {
        return new SparsityCompressor(SparsityOptions.parse(params));
    }
}
