package dev.rwkvedge.spi;

import java.util.random.RandomGenerator;

/**
 * What a running pipeline offers a {@link Compressor}: calibration tokens, a seeded random source, the kernel
 * backend to run the model with, and a progress sink.
 */
public interface CompressionContext {
    /** Calibration token stream (empty when the pipeline has no {@code calibration:}). */
    int[] calibrationTokens();

    /** A random source seeded from the pipeline seed and the step index, so runs are reproducible. */
    RandomGenerator random();

    KernelBackend backend();

    /**
     * Runs the calibration tokens through {@code weights} (state carried across chunks) with every linear map
     * reporting to {@code observer}. With {@code withHead} false the head is skipped (cheaper; the head's input is
     * then not observed).
     */
    void calibrate(dev.rwkvedge.model.ModelWeights weights, ActivationObserver observer, boolean withHead);

    Progress progress(String task, long total);

    /** A unit of long work that reports how far it got. */
    interface Progress extends AutoCloseable {
        void step(long n);

        @Override
        void close();
    }
}
