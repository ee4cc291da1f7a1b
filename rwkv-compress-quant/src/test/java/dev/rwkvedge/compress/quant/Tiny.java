package dev.rwkvedge.compress.quant;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;

/** The shared tiny byte-level models, corpus tokens for them, and the compressor applied directly. */
final class Tiny {
    private Tiny() {
    }

    static ModelWeights open(String file) throws IOException {
        return WeightFormats.open(Fixtures.require("models/tiny/" + file));
    }

    /** {@code count} byte tokens of the corpus from character {@code from}; UTF-16LE for the v6 models. */
    static int[] tokens(String file, int from, int count) throws IOException {
        String text = Files.readString(Fixtures.require("corpus/tinyshakespeare.txt"), StandardCharsets.UTF_8);
        byte[] b = text.substring(from, from + count).getBytes(file.contains("-6v") ? StandardCharsets.UTF_16LE
                : StandardCharsets.UTF_8);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    static CompressionResult quantize(ModelWeights w, Map<String, ?> params, KernelBackend backend) {
        return new QuantizeCompressorProvider().create(new Params("quantize", params)).apply(w, DirectContext.withoutCalibration(backend));
    }
}
