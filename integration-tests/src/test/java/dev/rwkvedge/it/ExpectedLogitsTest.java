package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.testing.RwkvCppReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** rwkv.cpp's own test vectors (reference/rwkv-cpp-tests): the logits after the prompt {@code "in}. */
class ExpectedLogitsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "4v0-660K, tiny-rwkv-4v0-660K-FP32.bin, 1e-4",
            "5v1-730K, tiny-rwkv-5v1-730K-FP32.bin, 1e-4",
            "5v2-730K, tiny-rwkv-5v2-730K-FP32.bin, 1e-4",
            "6v0-1m, tiny-rwkv-6v0-1m-FP32.bin, 1e-4",
            "7v0-834K, tiny-rwkv-7v0-834K-FP32.bin, 1e-4",
            // Only quantized files of the 3m model exist; README tolerance for Q5.
            "6v0-3m, tiny-rwkv-6v0-3m-Q5_1.bin, 0.5"})
    void promptQuoteIn(String tag, String file, double tol) throws IOException {
        float[] expected = RwkvCppReference.expectedLogits(tag);
        try (RwkvModel m = Rwkv.load(Fixtures.require("models/tiny/" + file), LoadOptions.defaults().withBackend("scalar"))) {
            Session s = m.newSession();
            float[] got = s.evalSequence(new int[] {'"', 'i', 'n'});
            double worst = ReferenceAssert.maxAbsDiff(expected, got);
            assertTrue(worst <= tol, file + ": max |Δ| " + worst + " > " + tol);
        }
    }
}
