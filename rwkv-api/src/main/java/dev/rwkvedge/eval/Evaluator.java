package dev.rwkvedge.eval;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;

import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Scores a model on a token stream: negative log-likelihood of every next token (perplexity, bits per byte), and
 * against a reference model the top-1 agreement and mean KL(reference ‖ model). The text is fed in chunks in
 * sequence mode with the state carried across chunks, so long texts are scored as one continuous document.
 */
public final class Evaluator {
    /** Tokens per sequence-mode call. */
    public static final int CHUNK = 256;

    private Evaluator() {
    }

    /**
     * @param tokens      the token stream
     * @param tokenBytes  bytes of text per token (for bits per byte), or null to count one byte per token
     * @param reference   a reference model with the same vocabulary, or null
     * @param progress    receives the number of tokens done after each chunk (may be null)
     */
    public static EvalResult evaluate(RwkvModel model, RwkvModel reference, int[] tokens, int[] tokenBytes,
                                      LongConsumer progress) {
        Objects.requireNonNull(model, "model");
        if (tokens.length < 2) {
            throw new IllegalArgumentException("evaluation needs at least 2 tokens, got " + tokens.length);
        }
        if (reference != null && reference.config().nVocab() != model.config().nVocab()) {
            throw new IllegalArgumentException("reference vocabulary " + reference.config().nVocab()
                    + " differs from the model's " + model.config().nVocab());
        }
        Session s = model.newSession();
        Session r = reference == null ? null : reference.newSession();
        double nll = 0;
        double refNll = 0;
        double kl = 0;
        long agree = 0;
        long bytes = 0;
        long predicted = 0;
        for (int start = 0; start < tokens.length; start += CHUNK) {
            int end = Math.min(tokens.length, start + CHUNK);
            int[] chunk = java.util.Arrays.copyOfRange(tokens, start, end);
            float[][] logits = s.evalSequenceAllLogits(chunk);
            float[][] refLogits = r == null ? null : r.evalSequenceAllLogits(chunk);
            for (int i = 0; i < chunk.length; i++) {
                int pos = start + i;
                if (pos + 1 >= tokens.length) {
                    break;
                }
                int next = tokens[pos + 1];
                double[] logp = logSoftmax(logits[i]);
                nll -= logp[next];
                predicted++;
                bytes += tokenBytes == null ? 1 : tokenBytes[pos + 1];
                if (refLogits != null) {
                    double[] refLogp = logSoftmax(refLogits[i]);
                    refNll -= refLogp[next];
                    kl += kl(refLogp, logp);
                    if (argmax(logits[i]) == argmax(refLogits[i])) {
                        agree++;
                    }
                }
            }
            if (progress != null) {
                progress.accept(end);
            }
        }
        boolean ref = reference != null;
        return new EvalResult(tokens.length, predicted, bytes, nll, ref ? (double) agree / predicted : Double.NaN,
                ref ? kl / predicted : Double.NaN, ref ? refNll : Double.NaN);
    }

    /** KL(p ‖ q) in nats from two log-distributions, clamped at 0 against rounding. */
    public static double kl(double[] logP, double[] logQ) {
        double k = 0;
        for (int v = 0; v < logP.length; v++) {
            double p = Math.exp(logP[v]);
            if (p > 0) {
                k += p * (logP[v] - logQ[v]);
            }
        }
        return Math.max(0, k);
    }

    /** log softmax in double, shifted by the max for stability. */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /** Index of the largest value (the first on ties). */
    public static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
