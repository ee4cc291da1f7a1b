package dev.rwkvedge.it;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;
import dev.rwkvedge.testing.RwkvCppReference;
import dev.rwkvedge.testing.RwkvCppReference.Model;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine runs a model whose projections are stored as {@code lowrank} operators: with an exact factorisation
 * {@code W = W·I} of every time-mix key and output matrix, the logits are rwkv.cpp's.
 */
class LowRankOperatorTest {
    @Test
    void exactFactorisationReproducesReference() throws IOException {
        Model ref = RwkvCppReference.load().stream()
                .filter(m -> m.modelFile().equals("tiny-rwkv-6v0-1m-FP32.bin")).findFirst().orElseThrow();
        try (ModelWeights w = WeightFormats.open(ref.modelPath());
             KernelBackend be = KernelBackends.create("scalar", 1)) {
            ModelWeights.Builder b = w.toBuilder();
            int replaced = 0;
            for (Tensor t : w.tensors()) {
                if (t.name().endsWith("att.key.weight") || t.name().endsWith("att.output.weight")) {
                    int c = t.cols();
                    float[] eye = new float[c * c];
                    for (int i = 0; i < c; i++) {
                        eye[i * c + i] = 1;
                    }
                    b.remove(t.name());
                    b.put(t.renamed(t.name() + ".lowrank.a"));
                    b.put(Tensor.ofFloats(t.name() + ".lowrank.b", eye, c, c));
                    replaced++;
                }
            }
            assertTrue(replaced == 24);
            try (RwkvModel m = RwkvModel.of(b.build(), be, false)) {
                var p = ref.prompts().get(1);
                Session s = m.newSession();
                for (int t = 0; t < p.tokens().length; t++) {
                    double d = ReferenceAssert.maxAbsDiff(p.logits()[t], s.eval(p.tokens()[t]));
                    assertTrue(d < 1e-4, "step " + t + ": " + d);
                }
            }
        }
    }
}
