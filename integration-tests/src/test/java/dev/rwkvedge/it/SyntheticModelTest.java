package dev.rwkvedge.it;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Synthetic models of every version bind, run stably, and are reproducible per seed. */
class SyntheticModelTest {
    @ParameterizedTest
    @EnumSource(RwkvVersion.class)
    void runsAndIsDeterministic(RwkvVersion version) {
        SynthSpec spec = new SynthSpec(version, 3, 128, 512, 0, 64, DType.F16, 42);
        try (ModelWeights w = SyntheticModel.generate(spec);
             ModelWeights again = SyntheticModel.generate(spec);
             ModelWeights other = SyntheticModel.generate(new SynthSpec(version, 3, 128, 512, 0, 64, DType.F16, 43))) {
            ModelConfig c = ModelConfig.of(w);
            assertEquals(version, c.version());
            assertEquals(3, c.nLayer());
            assertEquals(512, c.nVocab());
            assertEquals("true", w.metadata().get("synthetic"));
            for (Tensor t : w.tensors()) {
                assertArrayEquals(t.toFloatArray(), again.get(t.name()).toFloatArray(), t.name() + " reproducible");
            }
            assertFalse(Arrays.equals(w.get("head.weight").toFloatArray(), other.get("head.weight").toFloatArray()));
            try (RwkvModel m = RwkvModel.of(w, KernelBackends.create("scalar", 1), false)) {
                Session serial = m.newSession();
                int[] tokens = new int[40];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = (i * 37) % 512;
                }
                float[] last = null;
                for (int t : tokens) {
                    last = serial.eval(t);
                }
                for (float x : last) {
                    assertTrue(Float.isFinite(x), "finite logits");
                }
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (float x : last) {
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                }
                assertTrue(max - min > 1e-3, "logits vary across the vocabulary");
                // Chunks of 32: 40 tokens cross a chunk boundary.
                assertArrayEquals(last, m.newSession().evalSequence(tokens));
            }
        }
    }
}
