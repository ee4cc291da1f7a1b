package dev.rwkvedge.state;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.State;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes {@link State#load} with mutants of saved states of a v4 and a v5.2 model: magic, format version, the
 * version-id length and text, the four shape fields and the float count (all marked as integer fields), truncation
 * and extra bytes. The only allowed failure is an {@link RwkvException}.
 */
class StateFileFuzzTest {
    @TempDir
    Path dir;

    @Test
    void everyMutantLoadsOrFailsWithRwkvException() throws Exception {
        for (RwkvVersion version : List.of(RwkvVersion.V4, RwkvVersion.V5_2)) {
            ModelConfig config;
            try (ModelWeights w = SyntheticModel.generate(new SynthSpec(version, 2, 64, 256, 128,
                    version == RwkvVersion.V4 ? 1 : 16, DType.F32, 7))) {
                config = ModelConfig.of(w);
            }
            State state = State.initial(config);
            for (int i = 0; i < state.data().length; i++) {
                state.data()[i] = (float) Math.sin(i);
            }
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            state.save(saved);
            byte[] seed = saved.toByteArray();
            int idLength = version.id().length();
            FuzzLayout.Builder layout = FuzzLayout.builder().hot(0, 8 + 4 * 6 + idLength)
                    .field(8, 4).field(12, 4);
            for (int f = 0; f < 4; f++) {
                layout.field(16 + idLength + 4L * f, 4);
            }
            try (FuzzHarness h = new FuzzHarness("state " + version.id(), dir, ".state", file -> {
                try (InputStream in = Files.newInputStream(file)) {
                    State.load(in, config);
                }
            }, RwkvException.class)) {
                FuzzHarness.Report report = h.run(List.of(seed), new ArrayList<>(List.of(layout.build())), new Mutator(),
                        Math.max(1, FuzzHarness.iterations() / 2));
                FuzzHarness.assertClean(report);
            }
        }
    }
}
