package dev.rwkvedge.cli;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code synth}: a seeded synthetic model of a real shape, for benchmarks and demos. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a seeded synthetic RWKV model of a real shape (low-rank-plus-noise projections, RWKV-style "
                + "vectors), marked synthetic in its metadata. E.g. --version v5.2 --layers 12 --embd 768 is the 169M class.")
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--version", required = true, paramLabel = "V", description = "v4, v5.1, v5.2, v6 or v7.")
    String version;

    @Option(names = "--layers", required = true, paramLabel = "L")
    int layers;

    @Option(names = "--embd", required = true, paramLabel = "D")
    int embd;

    @Option(names = "--ffn", defaultValue = "0", paramLabel = "F", description = "Channel-mix width (0 = the version's usual).")
    int ffn;

    @Option(names = "--vocab", defaultValue = "65536", paramLabel = "V", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--head-size", defaultValue = "64", paramLabel = "S")
    int headSize;

    @Option(names = "--dtype", defaultValue = "f16", paramLabel = "TYPE", description = "f32 or f16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output (.bin, .safetensors, .rwkv-edge …).")
    Path out;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "NAME", description = "Output format (default: from the extension).")
    String format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SynthSpec s = new SynthSpec(RwkvVersion.parse(version), layers, embd, vocab, ffn, headSize, DType.parse(dtype), seed);
        WeightFormatProvider writer = OutputFormats.forOutput(out, format);
        long t0 = System.nanoTime();
        try (ModelWeights w = SyntheticModel.generate(s)) {
            writer.write(w, out, WriteOptions.keep());
            spec.commandLine().getOut().printf("wrote %s: synthetic RWKV %s, %d layers × %d, vocab %d, %,d parameters, %s in %.1f s%n",
                    out, s.version().id(), layers, embd, vocab, w.parameterCount(), Table.bytes(Files.size(out)),
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
