package dev.rwkvedge.testing;

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
 * A {@link CompressionContext} for calling a compressor directly in tests, without a pipeline: calibration runs like
 * rwkv-pipeline's runner (chunks of 256 tokens, state carried from chunk to chunk), progress is ignored, randomness
 * comes from a fixed seed, and calibrations are counted. {@link #withoutCalibration} makes any calibration a test
 * failure, for compressors that must not need one.
 */
public final class DirectContext implements CompressionContext {
    private static final int CHUNK = 256;

    private final int[] calibration;
    private final long seed;
    private final KernelBackend backend;
    private final boolean mayCalibrate;
    private int calibrations;

    public DirectContext(int[] calibration, long seed, KernelBackend backend) {
        this(calibration, seed, backend, true);
    }

    private DirectContext(int[] calibration, long seed, KernelBackend backend, boolean mayCalibrate) {
        this.calibration = calibration.clone();
        this.seed = seed;
        this.backend = backend;
        this.mayCalibrate = mayCalibrate;
    }

    /** A context whose {@link #calibrate} fails the test: no calibration tokens, seed 42. */
    public static DirectContext withoutCalibration(KernelBackend backend) {
        return new DirectContext(new int[0], 42, backend, false);
    }

    /** How many times a compressor asked for a calibration pass. */
    public int calibrations() {
        return calibrations;
    }

    @Override
    public int[] calibrationTokens() {
        return calibration.clone();
    }

    @Override
    public RandomGenerator random() {
        return new SplittableRandom(seed);
    }

    @Override
    public KernelBackend backend() {
        return backend;
    }

    @Override
    public void calibrate(ModelWeights weights, ActivationObserver observer, boolean withHead) {
        if (!mayCalibrate) {
            throw new AssertionError("this compressor must not calibrate");
        }
        calibrations++;
        try (RwkvModel m = RwkvModel.observed(weights, backend, observer)) {
            Session s = m.newSession();
            for (int start = 0; start < calibration.length; start += CHUNK) {
                int[] part = Arrays.copyOfRange(calibration, start, Math.min(calibration.length, start + CHUNK));
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
