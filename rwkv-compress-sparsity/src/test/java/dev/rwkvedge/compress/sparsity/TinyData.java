package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.testing.DirectContext;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

/**
 * Test data: the tiny byte-level models and tinyshakespeare as byte tokens (UTF-16LE bytes for the v6 models, which
 * were trained on UTF-16LE text), and a {@link CompressionContext} that calibrates the way the pipeline does.
 */
final class TinyData {
    private TinyData() {
    }

    static ModelWeights open(String file) throws IOException {
        return WeightFormats.open(Fixtures.require("models/tiny/" + file));
    }

    /** Byte tokens of the corpus slice {@code [start, start+bytes)}; negative start counts from the end. */
    static int[] corpus(String file, long start, int bytes) throws IOException {
        byte[] all = Files.readAllBytes(Fixtures.require("corpus/tinyshakespeare.txt"));
        int s = (int) (start < 0 ? all.length + start : start);
        byte[] slice = Arrays.copyOfRange(all, s, Math.min(all.length, s + bytes));
        byte[] b = file.contains("-6v") ? new String(slice, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16LE) : slice;
        int[] ids = new int[Math.min(b.length, bytes)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    /** Runs {@code tokens} through {@code weights} with every linear map observed (state carried over). */
    static void observe(ModelWeights weights, KernelBackend backend, ActivationObserver observer, int[] tokens) {
        try (RwkvModel m = RwkvModel.observed(weights, backend, observer)) {
            Session s = m.newSession();
            for (int start = 0; start < tokens.length; start += 256) {
                s.ingest(Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + 256)));
            }
        }
    }

    /** A context for calling the step directly ({@link DirectContext}: chunks of 256 tokens, state carried). */
    static CompressionContext context(int[] calibration, long seed, KernelBackend backend) {
        return new DirectContext(calibration, seed, backend);
    }
}
