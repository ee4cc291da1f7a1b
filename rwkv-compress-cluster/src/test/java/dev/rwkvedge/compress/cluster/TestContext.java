package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.KernelBackend;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** A {@link CompressionContext} like the pipeline runner's, without a pipeline: tokens, a seed and a backend. */
record TestContext(int[] tokens, long seed, KernelBackend backend) implements CompressionContext {
    @Override
    public int[] calibrationTokens() {
        return tokens.clone();
    }

    @Override
    public RandomGenerator random() {
        return new SplittableRandom(seed);
    }

    @Override
    public void calibrate(ModelWeights weights, ActivationObserver observer, boolean withHead) {
        try (RwkvModel m = RwkvModel.observed(weights, backend, observer)) {
            Session s = m.newSession();
            for (int start = 0; start < tokens.length; start += 256) {
                int[] part = Arrays.copyOfRange(tokens, start, Math.min(tokens.length, start + 256));
                if (withHead) {
                    s.evalSequenceAllLogits(part);
                } else {
                    s.ingest(part);
                }
            }
        }
    }

    @Override
    public Progress progress(String task, long total) {
        return new Progress() {
            @Override
            public void step(long n) {
            }

            @Override
            public void close() {
            }
        };
    }
}
