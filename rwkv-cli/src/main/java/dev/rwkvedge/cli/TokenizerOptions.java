package dev.rwkvedge.cli;

import dev.rwkvedge.tokenizer.Tokenizer;
import dev.rwkvedge.tokenizer.Tokenizers;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --tokenizer} and {@code --vocab}, shared by the commands that turn text into tokens for a model. */
final class TokenizerOptions {
    @Option(names = "--tokenizer", defaultValue = "auto", paramLabel = "NAME",
            description = "byte, world, neox20b, or auto (by the model's vocabulary size; default).")
    String name;

    @Option(names = "--vocab", paramLabel = "FILE",
            description = "Vocabulary file or folder (World: rwkv_vocab_v20230424.txt; 20B: 20B_tokenizer.json).")
    Path vocab;

    Tokenizer forVocabSize(int vocabSize) {
        return name.equals("auto") ? Tokenizers.forVocabSize(vocabSize, vocab) : Tokenizers.forName(name, vocab);
    }
}
