package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.CachedEmbedding;
import dev.rwkvedge.operators.CachedEmbeddingProvider;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;

/**
 * The {@code embedding-cache} step (PAPER.md §5): changes no tensor, records the cache capacity in the model's
 * metadata ({@value CachedEmbeddingProvider#CAPACITY_KEY}) so that the runtime binds the {@code cached} embedding,
 * and reports the hit rate the cache would have on the calibration token stream (the very {@link CachedEmbedding}
 * policy, fed the stream without computing rows) and the bytes resident against the full table.
 */
final class EmbeddingCacheCompressor implements Compressor {
    private final String step;
    private final int capacity;

    EmbeddingCacheCompressor(String step, int capacity) {
        this.step = step;
        this.capacity = capacity;
    }

    @Override
    public CompressionResult apply(ModelWeights weights, CompressionContext context) {
        var emb = weights.get("emb.weight");
        int vocab = emb.rows();
        int dim = emb.cols();
        int[] tokens = context.calibrationTokens();
        CachedEmbedding simulated = new CachedEmbedding(new TokenIdSource(), capacity, 1);
        float[] sink = new float[1];
        for (int t : tokens) {
            simulated.lookup(t, sink, 0);
        }
        CompressionReport r = new CompressionReport(step)
                .metric("capacity_rows", capacity)
                .metric("vocab", vocab)
                .metric("calibration_tokens", tokens.length)
                .metric("hit_rate_on_calibration", tokens.length == 0 ? Double.NaN : simulated.hitRate())
                .metric("distinct_tokens", distinct(tokens))
                .metric("cache_bytes", 4L * Math.min(capacity, vocab) * dim)
                .metric("embedding_table_bytes", emb.byteSize());
        // The hit rate is recorded for the memory account (expected table bytes read per token); none without tokens.
        ModelWeights out = weights.toBuilder()
                .metadata(CachedEmbeddingProvider.CAPACITY_KEY, Integer.toString(capacity))
                .metadata(CachedEmbeddingProvider.HIT_RATE_KEY,
                        tokens.length == 0 ? null : Double.toString(simulated.hitRate())).build();
        return new CompressionResult(out, r);
    }

    private static long distinct(int[] tokens) {
        return java.util.Arrays.stream(tokens).distinct().count();
    }

    /** A backing source that writes the token id: the simulation only needs the cache's hit/miss decisions. */
    private static final class TokenIdSource implements dev.rwkvedge.spi.EmbeddingSource {
        @Override
        public void lookup(int token, float[] out, int off) {
            out[off] = token;
        }

        @Override
        public String kind() {
            return "simulated";
        }
    }
}
