package dev.rwkvedge.cli;

import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.pipeline.Descriptor;
import dev.rwkvedge.pipeline.TextData;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code eval}: bits per byte / perplexity of a model on a text, and agreement and KL against a reference model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a model on a text: bits per byte (byte-level models), perplexity, and with --reference the "
                + "top-1 agreement and mean KL(reference ‖ model). The state is carried across chunks.")
final class EvalCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file.")
    Path model;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "Text file to score.")
    Path text;

    @Option(names = "--reference", paramLabel = "MODEL", description = "Reference model (same vocabulary).")
    Path reference;

    @Option(names = "--tokens", defaultValue = "0", paramLabel = "N", description = "Score at most N tokens (0 = all).")
    int tokens;

    @Option(names = "--start", defaultValue = "0", paramLabel = "BYTES",
            description = "Start at this byte of the file; negative counts from the end.")
    long start;

    @Option(names = "--bytes", defaultValue = "0", paramLabel = "N", description = "Read at most N bytes (0 = to the end).")
    long bytes;

    @Option(names = "--encoding", defaultValue = "utf-8", paramLabel = "ENC",
            description = "utf-8 or utf-16le (byte-level models trained on UTF-16LE text, such as the tiny v6 models).")
    String encoding;


    @Mixin
    TokenizerOptions tokenizer;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    BackendOptions backend;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!encoding.equals("utf-8") && !encoding.equals("utf-16le")) {
            throw new IllegalArgumentException("--encoding must be utf-8 or utf-16le, not " + encoding);
        }
        if (!java.nio.file.Files.isRegularFile(text)) {
            throw new IllegalArgumentException("--text " + text + ": no such file");
        }
        try (RwkvModel m = Rwkv.load(model, backend.toLoadOptions());
             RwkvModel ref = reference == null ? null : Rwkv.load(reference, backend.toLoadOptions())) {
            Tokenizer tok = tokenizer.forVocabSize(m.config().nVocab());
            TextData.Tokens t = TextData.load(new Descriptor.TextSpec(text, start, bytes, tokens, encoding), tok);
            EvalResult r;
            try (CompressionContext.Progress p = new ConsoleProgress(spec.commandLine().getErr())
                    .start("evaluating " + model.getFileName(), t.ids().length)) {
                long[] last = {0};
                r = Evaluator.evaluate(m, ref, t.ids(), t.bytesPerToken(), done -> {
                    p.step(done - last[0]);
                    last[0] = done;
                });
            }
            boolean byteLevel = tok.name().equals("byte");
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> o = r.toMap(byteLevel);
            if (json) {
                out.println(Json.write(o));
            } else {
                List<String[]> rows = new ArrayList<>();
                o.forEach((k, v) -> rows.add(new String[] {k, CompressCommand.num(v)}));
                Table.print(out, new String[] {"METRIC", "VALUE"}, rows);
            }
            out.flush();
        }
        return 0;
    }

}
