package dev.rwkvedge.sampling;

import dev.rwkvedge.RwkvException;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits with the semantics of ChatRWKV's {@code PIPELINE} (rwkv/utils.py):
 * <ol>
 *   <li>penalties ({@code PIPELINE.generate}): every token {@code t} generated so far, with decayed occurrence count
 *       {@code occ[t]}, gets {@code logits[t] -= presencePenalty + occ[t] * frequencyPenalty}; banned tokens get −∞;</li>
 *   <li>{@code sample_logits}: softmax; top-p keeps every token whose probability is at least the cutoff, the
 *       probability of the last token needed (in descending order) for the cumulative sum to reach {@code topP};
 *       top-k keeps the {@code topK} most likely; the kept probabilities are raised to {@code 1/temperature} and
 *       renormalised; a token is drawn from them;</li>
 *   <li>after a token is accepted ({@link #accept}): {@code occ *= penaltyDecay} for every token, then
 *       {@code occ[token] += 1}.</li>
 * </ol>
 * Temperature 0 or top-k 1 is greedy (argmax, the lowest id on ties). Draws come from a {@link SplittableRandom}
 * seeded with {@link SamplerOptions#seed()}, so the same seed and logits give the same tokens on every JVM.
 *
 * <p>Deliberate differences from ChatRWKV: every accepted token counts 1 (ChatRWKV counts whitespace and digit
 * tokens 0, a rule that depends on the tokenizer's text); top-p 1 means no filtering (ChatRWKV's float32 cumulative
 * sum can stay below 1.0 and then keeps only the top token); probabilities are computed in double precision.
 *
 * <p>Not thread-safe: one sampler per generation.
 */
public final class Sampler {
    /** Tokens below this probability are sorted only if the ones above it cannot settle top-p / top-k. */
    private static final double CANDIDATE_FLOOR = 1e-6;

    private final SamplerOptions options;
    private SplittableRandom random;
    private double[] occurrence = new double[0];
    /** Accepted at least once since the reset: such tokens get the presence penalty even if decay reached 0. */
    private boolean[] isSeen = new boolean[0];
    private int[] seen = new int[16];
    private int seenCount;

    public Sampler(SamplerOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    public SamplerOptions options() {
        return options;
    }

    /** Forgets the occurrence counts and restarts the random sequence from the seed. */
    public void reset() {
        random = new SplittableRandom(options.seed());
        Arrays.fill(occurrence, 0);
        Arrays.fill(isSeen, false);
        seenCount = 0;
    }

    /** Samples a token ({@link #sample}) and records it ({@link #accept}). */
    public int next(float[] logits) {
        int token = sample(logits);
        accept(token);
        return token;
    }

    /** Picks a token without recording it; the logits are not modified. */
    public int sample(float[] logits) {
        float[] adjusted = penalized(logits);
        if (options.greedy()) {
            return argmax(adjusted);
        }
        double[] probs = filtered(adjusted);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }

    /** Records a generated token for the presence/frequency penalties: decay every count, then count this one. */
    public void accept(int token) {
        if (token < 0) {
            throw new RwkvException("token id " + token + " is negative");
        }
        for (int i = 0; i < seenCount; i++) {
            occurrence[seen[i]] *= options.penaltyDecay();
        }
        if (token >= occurrence.length) {
            int size = Math.max(token + 1, occurrence.length * 2);
            occurrence = Arrays.copyOf(occurrence, size);
            isSeen = Arrays.copyOf(isSeen, size);
        }
        if (!isSeen[token]) {
            isSeen[token] = true;
            if (seenCount == seen.length) {
                seen = Arrays.copyOf(seen, seen.length * 2);
            }
            seen[seenCount++] = token;
        }
        occurrence[token] += 1;
    }

    /** The decayed occurrence count of a token (0 if never accepted since the last reset). */
    public double occurrence(int token) {
        return token >= 0 && token < occurrence.length ? occurrence[token] : 0;
    }

    /** A copy of the logits with bans and presence/frequency penalties applied. */
    public float[] penalized(float[] logits) {
        float[] out = logits.clone();
        for (int i = 0; i < seenCount; i++) {
            int t = seen[i];
            if (t < out.length) {
                out[t] -= (float) (options.presencePenalty() + occurrence[t] * options.frequencyPenalty());
            }
        }
        for (int t : options.bannedTokens()) {
            if (t >= out.length) {
                throw new RwkvException("banned token " + t + " is outside the vocabulary of " + out.length + " tokens");
            }
            out[t] = Float.NEGATIVE_INFINITY;
        }
        return out;
    }

    /**
     * The distribution {@link #sample} draws from for these logits (penalties applied): zero for every token
     * top-p / top-k removed, summing to 1. Greedy settings give a one-hot distribution on the argmax.
     */
    public double[] probabilities(float[] logits) {
        float[] adjusted = penalized(logits);
        if (options.greedy()) {
            double[] oneHot = new double[adjusted.length];
            oneHot[argmax(adjusted)] = 1;
            return oneHot;
        }
        return filtered(adjusted);
    }

    private double[] filtered(float[] logits) {
        double[] p = softmax(logits);
        double topP = options.topP();
        int topK = options.topK();
        boolean useTopP = topP < 1;
        boolean useTopK = topK > 0 && topK < p.length;
        if (useTopP || useTopK) {
            int[] order = descending(p, useTopP ? topP : 0, useTopK ? topK : 0);
            // Top-p: ChatRWKV's cutoff; if rounding keeps the sum just below topP, nothing is cut.
            double cutoff = 0;
            if (useTopP) {
                double cumulative = 0;
                for (int i : order) {
                    cumulative += p[i];
                    if (cumulative >= topP) {
                        cutoff = p[i];
                        break;
                    }
                }
            }
            boolean[] keep = new boolean[p.length];
            if (useTopK) {
                for (int r = 0; r < Math.min(topK, order.length); r++) {
                    keep[order[r]] = true;
                }
            }
            for (int i = 0; i < p.length; i++) {
                if (p[i] < cutoff || (useTopK && !keep[i])) {
                    p[i] = 0;
                }
            }
        }
        double max = 0;
        for (double v : p) {
            max = Math.max(max, v);
        }
        double inv = 1.0 / options.temperature();
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                // (p/max)^(1/T) renormalises to the same as p^(1/T) but cannot underflow to all zeros at low T.
                p[i] = inv == 1.0 ? p[i] : Math.pow(p[i] / max, inv);
                sum += p[i];
            }
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * Token ids by descending probability (lowest id first on ties), enough of them to settle a top-p of
     * {@code topP} (0 = not needed) and a top-k of {@code topK} (0 = not needed). Only tokens above
     * {@link #CANDIDATE_FLOOR} are sorted when they suffice, which keeps a 65 536-token vocabulary cheap.
     */
    private static int[] descending(double[] p, double topP, int topK) {
        int n = 0;
        double mass = 0;
        int[] candidates = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= CANDIDATE_FLOOR) {
                candidates[n++] = i;
                mass += p[i];
            }
        }
        boolean enough = n > 0 && (topP == 0 || mass >= topP) && n >= topK;
        Integer[] ids;
        if (enough) {
            ids = new Integer[n];
            for (int i = 0; i < n; i++) {
                ids[i] = candidates[i];
            }
        } else {
            ids = new Integer[p.length];
            for (int i = 0; i < p.length; i++) {
                ids[i] = i;
            }
        }
        Arrays.sort(ids, (a, b) -> {
            int c = Double.compare(p[b], p[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    private static double[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i])) {
                throw new RwkvException("the model produced NaN for token " + i);
            }
            max = Math.max(max, logits[i]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new RwkvException("no token can be sampled: every one of the " + logits.length
                    + " logits is -infinity (all banned?)");
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((double) logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static int argmax(float[] logits) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i])) {
                throw new RwkvException("the model produced NaN for token " + i);
            }
            if (logits[i] > bestValue) {
                bestValue = logits[i];
                best = i;
            }
        }
        if (best < 0) {
            throw new RwkvException("no token can be sampled: every one of the " + logits.length
                    + " logits is -infinity (all banned?)");
        }
        return best;
    }
}
