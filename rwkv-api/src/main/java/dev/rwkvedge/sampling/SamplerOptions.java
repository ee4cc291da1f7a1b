package dev.rwkvedge.sampling;

import dev.rwkvedge.RwkvException;

import java.util.List;
import java.util.Set;

/**
 * Settings of a {@link Sampler} and of a generation, named after ChatRWKV's {@code PIPELINE_ARGS}
 * (rwkv/utils.py): {@code temperature}, {@code top_p}, {@code top_k}, {@code alpha_presence},
 * {@code alpha_frequency}, {@code alpha_decay}, {@code token_ban}, {@code token_stop}.
 *
 * <p>{@link #defaults()} follows ChatRWKV where it has a default (temperature 1.0, top-p 0.85, top-k off, decay
 * 0.996, 100 tokens) but starts with both penalties at 0 so that plain sampling is unmodified unless asked for.
 *
 * @param temperature      probabilities are raised to {@code 1/temperature} after filtering; 0 means greedy
 * @param topP             keep the most likely tokens until their cumulative probability reaches this; 1 = off
 * @param topK             keep at most this many most likely tokens; 0 = off, 1 = greedy
 * @param presencePenalty  subtracted from the logit of every token generated so far
 * @param frequencyPenalty subtracted from a generated token's logit once per (decayed) occurrence
 * @param penaltyDecay     every occurrence count is multiplied by this after each generated token
 * @param bannedTokens     tokens that are never sampled (their logit becomes −∞)
 * @param stopTokens       tokens that end generation when sampled (not emitted), e.g. end-of-text 0
 * @param stop             strings that end generation when they appear in the output (not emitted)
 * @param seed             seed of the random generator: same seed and logits give the same tokens
 * @param maxTokens        the most tokens one generation samples
 */
public record SamplerOptions(double temperature, double topP, int topK, double presencePenalty,
                             double frequencyPenalty, double penaltyDecay, Set<Integer> bannedTokens,
                             Set<Integer> stopTokens, List<String> stop, long seed, int maxTokens) {

    public SamplerOptions {
        check(Double.isFinite(temperature) && temperature >= 0, "temperature must be >= 0, is " + temperature);
        check(topP >= 0 && topP <= 1, "top-p must be in [0, 1], is " + topP);
        check(topK >= 0, "top-k must be >= 0 (0 = off), is " + topK);
        check(Double.isFinite(presencePenalty), "presence penalty must be finite, is " + presencePenalty);
        check(Double.isFinite(frequencyPenalty), "frequency penalty must be finite, is " + frequencyPenalty);
        check(penaltyDecay >= 0 && penaltyDecay <= 1, "penalty decay must be in [0, 1], is " + penaltyDecay);
        check(maxTokens >= 0, "max tokens must be >= 0, is " + maxTokens);
        bannedTokens = Set.copyOf(bannedTokens);
        stopTokens = Set.copyOf(stopTokens);
        stop = List.copyOf(stop);
        for (int t : bannedTokens) {
            check(t >= 0, "banned token ids must be >= 0, got " + t);
        }
        for (String s : stop) {
            check(!s.isEmpty(), "stop strings must not be empty");
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new RwkvException(message);
        }
    }

    /** Temperature 1, top-p 0.85, top-k off, no penalties (decay 0.996), nothing banned, seed 42, 100 tokens. */
    public static SamplerOptions defaults() {
        return new SamplerOptions(1.0, 0.85, 0, 0, 0, 0.996, Set.of(), Set.of(), List.of(), 42L, 100);
    }

    /** Greedy decoding: always the most likely token. */
    public boolean greedy() {
        return temperature == 0 || topK == 1;
    }

    public SamplerOptions withTemperature(double v) {
        return new SamplerOptions(v, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay, bannedTokens,
                stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withTopP(double v) {
        return new SamplerOptions(temperature, v, topK, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withTopK(int v) {
        return new SamplerOptions(temperature, topP, v, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withPresencePenalty(double v) {
        return new SamplerOptions(temperature, topP, topK, v, frequencyPenalty, penaltyDecay, bannedTokens,
                stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withFrequencyPenalty(double v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, v, penaltyDecay, bannedTokens,
                stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withPenaltyDecay(double v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, v, bannedTokens,
                stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withBannedTokens(Set<Integer> v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay, v,
                stopTokens, stop, seed, maxTokens);
    }

    public SamplerOptions withStopTokens(Set<Integer> v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, v, stop, seed, maxTokens);
    }

    public SamplerOptions withStop(List<String> v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, stopTokens, v, seed, maxTokens);
    }

    public SamplerOptions withSeed(long v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, stopTokens, stop, v, maxTokens);
    }

    public SamplerOptions withMaxTokens(int v) {
        return new SamplerOptions(temperature, topP, topK, presencePenalty, frequencyPenalty, penaltyDecay,
                bannedTokens, stopTokens, stop, seed, v);
    }
}
