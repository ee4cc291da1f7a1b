package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.testing.RwkvCppReference;
import dev.rwkvedge.testing.RwkvCppReference.Model;
import dev.rwkvedge.testing.RwkvCppReference.Prompt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every tiny model of every format reproduces rwkv.cpp's logits after every token of every reference prompt, in
 * serial and in sequence mode, within the tolerances of reference/rwkv-cpp/README.md; and the states match.
 */
class ReferenceLogitsTest {
    static List<Model> models() throws IOException {
        return RwkvCppReference.load();
    }

    /** Max |Δlogit| allowed by the reference README for a weight type. */
    static double tolerance(String dataType) {
        return switch (dataType) {
            case "FP32" -> 1e-4;
            case "FP16" -> 2e-2;
            default -> 0.5;
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void serialAndSequenceMatchRwkvCpp(Model ref) throws IOException {
        double tol = tolerance(ref.dataType());
        int agree = 0;
        int steps = 0;
        try (RwkvModel model = Rwkv.load(ref.modelPath(), LoadOptions.defaults().withBackend("scalar"))) {
            for (Prompt p : ref.prompts()) {
                Session serial = model.newSession();
                float[][] got = new float[p.tokens().length][];
                float[] afterFirst = null;
                for (int t = 0; t < p.tokens().length; t++) {
                    got[t] = serial.eval(p.tokens()[t]);
                    if (t == 0) {
                        afterFirst = serial.state().data().clone();
                    }
                }
                Session seq = model.newSession();
                float[][] gotSeq = seq.evalSequenceAllLogits(p.tokens());

                String where = ref + " prompt " + p.id();
                agree += ReferenceAssert.logits(where + " serial", p.logits(), got, tol);
                steps += got.length;
                ReferenceAssert.logits(where + " sequence", p.logits(), gotSeq, tol);
                ReferenceAssert.state(where + " state after first token", p.stateAfterFirst(), afterFirst, tol);
                ReferenceAssert.state(where + " final state", p.finalState(), serial.state().data(), tol);
                ReferenceAssert.state(where + " final state (sequence)", p.finalState(), seq.state().data(), tol);
                for (int t = 0; t < got.length; t++) {
                    assertTrue(java.util.Arrays.equals(got[t], gotSeq[t]),
                            where + ": sequence mode differs from serial mode at step " + t);
                }
            }
        }
        ReferenceAssert.argmaxAgreement(ref.toString(), agree, steps);
    }
}
