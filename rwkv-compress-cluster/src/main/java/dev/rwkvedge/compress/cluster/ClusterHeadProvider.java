package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;

/** Compressor {@code cluster-head}: see {@link ClusterHeadCompressor} and {@link ClusterHeadSettings}. */
public final class ClusterHeadProvider implements CompressorProvider {
    @Override
    public String name() {
        return "cluster-head";
    }

    @Override
    public Compressor create(Params params) {
        return new ClusterHeadCompressor(name(), ClusterHeadSettings.from(params));
    }
}
