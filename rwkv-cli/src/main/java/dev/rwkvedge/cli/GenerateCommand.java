package dev.rwkvedge.cli;

import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.generate.GenerationResult;
import dev.rwkvedge.generate.Generator;
import dev.rwkvedge.sampling.Sampler;
import dev.rwkvedge.sampling.SamplerOptions;
import dev.rwkvedge.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code generate}: streams text from a prompt. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streaming it as it is sampled (ChatRWKV sampling semantics).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "Model file (or give it as the first argument).")
    Path modelOption;

    @picocli.CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Model file.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "Prompt text.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "100", paramLabel = "N")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.85", paramLabel = "P", description = "Nucleus mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "Keep the K best tokens (0 = off).")
    int topK;

    @Option(names = "--presence", defaultValue = "0", paramLabel = "A", description = "Presence penalty (ChatRWKV alpha_presence).")
    double presence;

    @Option(names = "--frequency", defaultValue = "0", paramLabel = "A", description = "Frequency penalty (alpha_frequency).")
    double frequency;

    @Option(names = "--penalty-decay", defaultValue = "0.996", paramLabel = "D", description = "Decay of penalty counts per token.")
    double penaltyDecay;

    @Option(names = "--ban", split = ",", paramLabel = "IDS", description = "Token ids never to sample.")
    List<Integer> ban = List.of();

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when this text appears (repeatable).")
    List<String> stop = List.of();

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S")
    long seed;


    @Mixin
    TokenizerOptions tokenizer;

    @Mixin
    BackendOptions backend;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path file = model != null ? model : modelOption;
        if (file == null) {
            throw new IllegalArgumentException("give the model file, e.g. rwkv-edge generate model.bin --prompt 'Hello'");
        }
        SamplerOptions opts = SamplerOptions.defaults().withTemperature(temperature).withTopP(topP).withTopK(topK)
                .withPresencePenalty(presence).withFrequencyPenalty(frequency).withPenaltyDecay(penaltyDecay)
                .withBannedTokens(Set.copyOf(new HashSet<>(ban))).withStop(stop).withSeed(seed).withMaxTokens(maxTokens);
        PrintWriter out = spec.commandLine().getOut();
        try (RwkvModel m = Rwkv.load(file, backend.toLoadOptions())) {
            Tokenizer tok = tokenizer.forVocabSize(m.config().nVocab());
            Generator g = new Generator(m.newSession(), tok, new Sampler(opts));
            GenerationResult r = g.generate(prompt, text -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            if (r.tokenCount() == 0) {
                spec.commandLine().getErr().println("rwkv-edge: no tokens generated (" + r.stopReason() + ")");
            }
        }
        return 0;
    }
}
