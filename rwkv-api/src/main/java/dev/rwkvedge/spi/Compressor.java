package dev.rwkvedge.spi;

import dev.rwkvedge.model.ModelWeights;

/** One offline compression step: weights in, new weights (in the operator vocabulary) and a report out. */
public interface Compressor {
    CompressionResult apply(ModelWeights weights, CompressionContext context);
}
