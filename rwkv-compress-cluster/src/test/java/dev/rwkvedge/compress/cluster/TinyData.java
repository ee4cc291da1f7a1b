package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The shared tiny byte-level models (vocab 256) and the corpus as their token streams: bytes of the text, UTF-16LE
 * for the v6 models (they were trained on it), UTF-8 otherwise.
 */
final class TinyData {
    private TinyData() {
    }

    static ModelWeights model(String file) throws IOException {
        return WeightFormats.open(Fixtures.require("models/tiny/" + file));
    }

    /** {@code count} byte tokens of the corpus starting at character {@code from}. */
    static int[] tokens(String file, int from, int count) throws IOException {
        String text = Files.readString(Fixtures.require("corpus/tinyshakespeare.txt"), StandardCharsets.UTF_8);
        String part = text.substring(from, Math.min(text.length(), from + count));
        byte[] b = part.getBytes(file.contains("-6v") ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_8);
        int n = Math.min(count, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }
}
