package dev.rwkvedge.compress.quant;

import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;

/**
 * Compressor {@code quantize} (DESIGN.md §2, §4): per-row INT8 or ggml Q8_0/Q5_1/Q5_0/Q4_1/Q4_0 for the matrices
 * that are still dense after the structural steps (projections, low-rank factors, LoRAs, sparse FFN rows, the head
 * or the clustered head's rows). Parameters are described in {@link QuantizeSettings}; a pipeline step looks like
 * {@code - quantize: {dtype: int8}}.
 */
public final class QuantizeCompressorProvider implements CompressorProvider {
    @Override
    public String name() {
        return "quantize";
    }

    @Override
    public Compressor create(Params params) {
        return new QuantizeCompressor(params.step(), version(), QuantizeSettings.parse(params));
    }
}
