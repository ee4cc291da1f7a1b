package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;

import java.util.Optional;

/**
 * Binds a {@link CachedEmbedding} over the default source when the model's metadata holds
 * {@value #CAPACITY_KEY} (written by the {@code embedding-cache} pipeline step); binds no linear maps.
 */
public final class CachedEmbeddingProvider implements OperatorProvider {
    public static final String CAPACITY_KEY = "embedding.cache.capacity";
    /** The hit rate the {@code embedding-cache} step measured on the calibration tokens (memory account only). */
    public static final String HIT_RATE_KEY = "embedding.cache.hit_rate";

    @Override
    public String name() {
        return "cached";
    }

    @Override
    public Optional<LinearOperator> bindLinear(ModelWeights weights, String name, int rows, int cols) {
        return Optional.empty();
    }

    @Override
    public Optional<EmbeddingSource> bindEmbedding(ModelWeights weights, DirectEmbedding direct) {
        String v = weights.metadata().get(CAPACITY_KEY);
        if (v == null) {
            return Optional.empty();
        }
        int capacity;
        try {
            capacity = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            capacity = 0;
        }
        if (capacity < 1) {
            throw new WeightFormatException(weights.source(), "emb.weight", -1, "metadata " + CAPACITY_KEY + " is '"
                    + v + "', expected a positive whole number of rows");
        }
        return Optional.of(new CachedEmbedding(direct, capacity, direct.dim(),
                MetadataShares.share(weights, HIT_RATE_KEY)));
    }
}
