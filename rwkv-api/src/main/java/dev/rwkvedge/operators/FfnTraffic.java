package dev.rwkvedge.operators;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link PredictedSparseFfn} actually read, summed over all tokens and sessions: the numbers behind "FFN bytes
 * touched per token" (PAPER.md §3.5, the fraction of FFN weights loaded). Key rows are touched for every predicted
 * neuron, value rows only for predicted neurons whose pre-activation turned out positive.
 */
public final class FfnTraffic {
    private final LongAdder tokens = new LongAdder();
    private final LongAdder predicted = new LongAdder();
    private final LongAdder active = new LongAdder();
    private final LongAdder bytes = new LongAdder();

    void record(int predictedNeurons, int activeNeurons, long bytesTouched) {
        tokens.increment();
        predicted.add(predictedNeurons);
        active.add(activeNeurons);
        bytes.add(bytesTouched);
    }

    public long tokens() {
        return tokens.sum();
    }

    /** Neurons the predictor selected (key rows read). */
    public long predictedNeurons() {
        return predicted.sum();
    }

    /** Selected neurons with a positive pre-activation (value rows read). */
    public long activeNeurons() {
        return active.sum();
    }

    /** Predictor, key and value bytes read. */
    public long bytesTouched() {
        return bytes.sum();
    }

    public double bytesPerToken() {
        long t = tokens();
        return t == 0 ? 0 : (double) bytesTouched() / t;
    }

    public void reset() {
        tokens.reset();
        predicted.reset();
        active.reset();
        bytes.reset();
    }
}
