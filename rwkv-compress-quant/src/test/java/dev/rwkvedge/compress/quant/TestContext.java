package dev.rwkvedge.compress.quant;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.KernelBackend;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** A {@link CompressionContext} for calling the compressor directly: no calibration (quantize needs none). */
final class TestContext implements CompressionContext {
    private final KernelBackend backend;

    TestContext(KernelBackend backend) {
        this.backend = backend;
    }

    @Override
    public int[] calibrationTokens() {
        return new int[0];
    }

    @Override
    public RandomGenerator random() {
        return new SplittableRandom(42);
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public void calibrate(ModelWeights weights, ActivationObserver observer, boolean withHead) {
        throw new AssertionError("quantize must not calibrate");
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
