package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.testing.RwkvCppReference;
import dev.rwkvedge.testing.RwkvCppReference.Model;
import dev.rwkvedge.testing.RwkvCppReference.Prompt;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Evaluation metrics computed from rwkv.cpp's reference logits, independently of the engine. */
class EvaluatorTest {
    private static Model model(String file) throws IOException {
        return RwkvCppReference.load().stream().filter(m -> m.modelFile().equals(file)).findFirst().orElseThrow();
    }

    /** NLL of the next token from reference logits: the test's own log-sum-exp in double. */
    private static double referenceNll(Prompt p) {
        double nll = 0;
        for (int t = 0; t + 1 < p.tokens().length; t++) {
            float[] l = p.logits()[t];
            double max = Double.NEGATIVE_INFINITY;
            for (float x : l) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (float x : l) {
                sum += Math.exp(x - max);
            }
            nll += max + Math.log(sum) - l[p.tokens()[t + 1]];
        }
        return nll;
    }

    @Test
    void perplexityAndBitsPerByteMatchReferenceLogits() throws IOException {
        Model ref = model("tiny-rwkv-5v2-730K-FP32.bin");
        Prompt p = ref.prompts().get(1);
        double expected = referenceNll(p);
        try (RwkvModel m = Rwkv.load(ref.modelPath(), LoadOptions.defaults().withBackend("scalar"))) {
            EvalResult r = Evaluator.evaluate(m, null, p.tokens(), null, null);
            assertEquals(63, r.predicted());
            assertEquals(expected, r.nll(), 1e-3);
            assertEquals(Math.exp(expected / 63), r.perplexity(), 1e-3);
            assertEquals(expected / Math.log(2) / 63, r.bitsPerByte(), 1e-4);
            assertTrue(Double.isNaN(r.kl()));
        }
    }

    @Test
    void referenceComparisons() throws IOException {
        Model fp32 = model("tiny-rwkv-5v2-730K-FP32.bin");
        Model q5 = model("tiny-rwkv-5v2-730K-Q5_0.bin");
        int[] tokens = fp32.prompts().get(1).tokens();
        try (RwkvModel a = Rwkv.load(fp32.modelPath(), LoadOptions.defaults().withBackend("scalar"));
             RwkvModel b = Rwkv.load(q5.modelPath(), LoadOptions.defaults().withBackend("scalar"))) {
            EvalResult same = Evaluator.evaluate(a, a, tokens, null, null);
            assertEquals(1.0, same.top1Agreement());
            assertEquals(0.0, same.kl(), 1e-9);
            EvalResult quant = Evaluator.evaluate(b, a, tokens, null, null);
            assertTrue(quant.kl() > 0 && quant.kl() < 0.05, "KL " + quant.kl());
            assertTrue(quant.top1Agreement() > 0.8 && quant.top1Agreement() < 1, "agreement " + quant.top1Agreement());
            assertEquals(same.nll(), quant.referenceNll(), 1e-9);
        }
    }
}
