package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.KernelBackend;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A {@link CompressionContext} for calling compressors directly, without a pipeline: calibration runs like
 * rwkv-pipeline's runner (chunks of 256 tokens, state carried), progress is ignored, and it counts calibrations.
 */
final class TestContext implements CompressionContext {
    private final int[] calibration;
    private final KernelBackend backend;
    private int calibrations;

    TestContext(int[] calibration, KernelBackend backend) {
        this.calibration = calibration.clone();
        this.backend = backend;
    }

    int calibrations() {
        return calibrations;
    }

    @Override
    public int[] calibrationTokens() {
        return calibration.clone();
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
        calibrations++;
        try (RwkvModel m = RwkvModel.observed(weights, backend, observer)) {
            Session s = m.newSession();
            for (int start = 0; start < calibration.length; start += 256) {
                int[] part = Arrays.copyOfRange(calibration, start, Math.min(calibration.length, start + 256));
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
