package dev.rwkvedge.cli;

import dev.rwkvedge.tokenizer.Tokenizer;
import dev.rwkvedge.tokenizer.Tokenizers;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code tokenize}: text to token ids, or ids back to text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text (comma-separated), or with --decode turn ids back into text.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", defaultValue = "world", paramLabel = "NAME", description = "byte, world or neox20b (default: ${DEFAULT-VALUE}).")
    String tokenizer;

    @Option(names = "--vocab", paramLabel = "FILE", description = "Vocabulary file of the tokenizer.")
    Path vocab;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text (or, with --decode, the ids).")
        String text;

        @Option(names = "--file", paramLabel = "FILE", description = "Read the text (or ids) from a file.")
        Path file;
    }

    @Option(names = "--decode", description = "Input is comma-separated ids; print the text.")
    boolean decode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Tokenizer tok = Tokenizers.forName(tokenizer, vocab);
        String in = input.text != null ? input.text : Files.readString(input.file, StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut();
        if (decode) {
            int[] ids;
            try {
                ids = Arrays.stream(in.strip().split("[,\\s]+")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--decode expects comma-separated token ids: " + e.getMessage());
            }
            out.print(tok.decode(ids));
            out.println();
        } else {
            out.println(Arrays.stream(tok.encode(in)).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        out.flush();
        return 0;
    }
}
