package dev.rwkvedge.generate;

/**
 * The outcome of {@link Generator#generate}.
 *
 * @param tokens     every token sampled and kept, including those that spelled a stop string (a sampled stop token
 *                   is not included)
 * @param text       the text emitted to the consumer: the decoded tokens up to, not including, the stop string
 * @param stopReason why generation ended
 */
public record GenerationResult(int[] tokens, String text, StopReason stopReason) {
    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** The number of tokens sampled and kept. */
    public int tokenCount() {
        return tokens.length;
    }
}
