package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutation;
import dev.rwkvedge.testing.fuzz.Mutator;
import dev.rwkvedge.testing.fuzz.TouchTensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs the fuzz harness against one weight format: every registered probe sees the mutant's first bytes (probes
 * must not throw), then the format's own reader opens it and every tensor is touched. The allowed failure is an
 * {@link RwkvException} (for readers: {@link dev.rwkvedge.model.WeightFormatException}).
 */
final class WeightFuzz {
    private WeightFuzz() {
    }

    /** A harness whose target opens files with {@code provider}. */
    static FuzzHarness harness(WeightFormatProvider provider, Path dir, String suffix) {
        return new FuzzHarness(provider.name(), dir, suffix, file -> {
            ByteBuffer head = WeightFormats.head(file);
            for (WeightFormatProvider p : WeightFormats.registry().all()) {
                p.probe(file, head.duplicate().order(ByteOrder.LITTLE_ENDIAN));
            }
            try (ModelWeights w = provider.open(file)) {
                TouchTensors.touch(w);
            }
        }, RwkvException.class);
    }

    /** Runs {@link FuzzHarness#iterations()} mutants in total, shared among the seed files, and asserts the contract. */
    static FuzzHarness.Report run(WeightFormatProvider provider, Path dir, String suffix, List<Path> seeds,
                                  Function<byte[], FuzzLayout> layout, Mutation... extra)
            throws IOException, InterruptedException {
        List<byte[]> bytes = new ArrayList<>();
        List<FuzzLayout> layouts = new ArrayList<>();
        for (Path s : seeds) {
            byte[] b = Files.readAllBytes(s);
            bytes.add(b);
            layouts.add(layout.apply(b));
        }
        try (FuzzHarness h = harness(provider, dir, suffix)) {
            FuzzHarness.Report report = h.run(bytes, layouts, new Mutator(extra),
                    Math.max(1, FuzzHarness.iterations() / seeds.size()));
            FuzzHarness.assertClean(report);
            return report;
        }
    }
}
