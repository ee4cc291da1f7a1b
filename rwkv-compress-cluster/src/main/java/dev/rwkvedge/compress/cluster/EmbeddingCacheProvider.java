package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;

/**
 * Compressor {@code embedding-cache}: parameter {@code capacity}, rows kept (default 1000, the paper's size). The
 * cache is a pipeline step rather than a load option so that the choice travels with the model file, like every
 * other operator choice (DESIGN.md §4); see {@link EmbeddingCacheCompressor}.
 */
public final class EmbeddingCacheProvider implements CompressorProvider {
    @Override
    public String name() {
        return "embedding-cache";
    }

    @Override
    public Compressor create(Params params) {
        int capacity = params.getInt("capacity", 1000);
        if (capacity < 1) {
            throw params.bad("capacity", capacity, "at least 1 row");
        }
        params.requireAllConsumed();
        return new EmbeddingCacheCompressor(name(), capacity);
    }
}
