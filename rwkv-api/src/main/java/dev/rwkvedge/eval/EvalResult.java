package dev.rwkvedge.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Language-model quality over a text.
 *
 * @param tokens        tokens fed
 * @param predicted     positions scored (tokens − 1: the first token has no prediction)
 * @param bytes         bytes of text the scored tokens cover (for bits per byte)
 * @param nll           total negative log-likelihood in nats
 * @param top1Agreement share of positions where the model's argmax equals the reference's (NaN without reference)
 * @param kl            mean KL(reference ‖ model) in nats per position (NaN without reference)
 * @param referenceNll  the reference model's total NLL in nats (NaN without reference)
 */
public record EvalResult(long tokens, long predicted, long bytes, double nll, double top1Agreement, double kl,
                         double referenceNll) {
    public boolean hasReference() {
        return !Double.isNaN(kl);
    }

    /** exp(mean NLL per predicted token). */
    public double perplexity() {
        return Math.exp(nll / predicted);
    }

    /** Total bits over the bytes of the predicted text: NLL / ln 2 / bytes. */
    public double bitsPerByte() {
        return nll / Math.log(2) / bytes;
    }

    public double referenceBitsPerByte() {
        return referenceNll / Math.log(2) / bytes;
    }

    /** Key/value form for JSON output and reports. */
    public Map<String, Object> toMap(boolean includeBitsPerByte) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", tokens);
        m.put("predicted", predicted);
        m.put("bytes", bytes);
        m.put("nll_nats", nll);
        m.put("perplexity", perplexity());
        if (includeBitsPerByte) {
            m.put("bits_per_byte", bitsPerByte());
        }
        if (hasReference()) {
            m.put("top1_agreement", top1Agreement);
            m.put("kl", kl);
            m.put("reference_perplexity", Math.exp(referenceNll / predicted));
            if (includeBitsPerByte) {
                m.put("reference_bits_per_byte", referenceBitsPerByte());
            }
        }
        return m;
    }
}
