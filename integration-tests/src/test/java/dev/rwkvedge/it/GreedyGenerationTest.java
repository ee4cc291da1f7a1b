package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.generate.GenerationResult;
import dev.rwkvedge.generate.Generator;
import dev.rwkvedge.sampling.Sampler;
import dev.rwkvedge.sampling.SamplerOptions;
import dev.rwkvedge.testing.RwkvCppReference;
import dev.rwkvedge.testing.RwkvCppReference.Model;
import dev.rwkvedge.tokenizer.ByteTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Greedy generation reproduces the 64 bytes rwkv.cpp generated from the prompt "The " (manifest.json, greedy). */
class GreedyGenerationTest {
    static List<Model> fp32Models() throws IOException {
        return RwkvCppReference.load().stream().filter(m -> m.dataType().equals("FP32")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fp32Models")
    void greedyMatchesRwkvCpp(Model ref) throws IOException {
        try (RwkvModel m = Rwkv.load(ref.modelPath(), LoadOptions.defaults().withBackend("scalar"))) {
            SamplerOptions greedy = SamplerOptions.defaults().withTemperature(0).withMaxTokens(ref.greedyBytes().length);
            GenerationResult r = new Generator(m.newSession(), new ByteTokenizer(), new Sampler(greedy))
                    .generate(ref.greedyPrompt(), text -> { });
            assertArrayEquals(ref.greedyBytes(), r.tokens(), ref + ": greedy continuation of \"The \"");
        }
    }
}
