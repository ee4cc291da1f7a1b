package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;

/**
 * Compressor {@code lowrank} (DESIGN.md §2, §4): factorises projections into the runtime's {@code lowrank}
 * operator. Parameters are described in {@link LowRankSettings}; a pipeline step looks like
 * {@code - lowrank: {rank-ratio: 0.125, method: activation-aware}}.
 */
public final class LowRankCompressorProvider implements CompressorProvider {
    @Override
    public String name() {
        return "lowrank";
    }

    @Override
    public Compressor create(Params params) {
        return new LowRankCompressor(params.step(), version(), LowRankSettings.parse(params));
    }
}
