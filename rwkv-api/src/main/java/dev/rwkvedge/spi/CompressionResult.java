package dev.rwkvedge.spi;

import dev.rwkvedge.model.ModelWeights;

import java.util.Objects;

/** What a {@link Compressor} returns. */
public record CompressionResult(ModelWeights weights, CompressionReport report) {
    public CompressionResult {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(report, "report");
    }
}
