package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Picks a tokenizer by name ({@code --tokenizer}) or by a model's vocabulary size, and finds its vocabulary file.
 *
 * <p>Vocabulary files are looked up as follows: an explicit path ({@code --vocab}) is used as is, or, if it is a
 * directory, the tokenizer's standard file name inside it ({@value WorldTokenizer#VOCAB_FILE},
 * {@value Neox20bTokenizer#VOCAB_FILE}); without a path, the standard file name in the directory named by the
 * system property {@value #VOCAB_DIR_PROPERTY}. Nothing else is searched, so which file is used is never a surprise.
 */
public final class Tokenizers {
    /** System property naming the directory that holds the default vocabulary files. */
    public static final String VOCAB_DIR_PROPERTY = "rwkv.vocab.dir";

    private static final List<String> NAMES = List.of(ByteTokenizer.NAME, WorldTokenizer.NAME, Neox20bTokenizer.NAME);
    /** Logit counts of GPT-NeoX models: the tokenizer's 50 277, the 50 254 base vocabulary, and padded 50 432. */
    private static final List<Integer> NEOX_SIZES = List.of(50277, 50254, 50432);

    private Tokenizers() {
    }

    /** The names {@link #forName} accepts. */
    public static List<String> available() {
        return NAMES;
    }

    /**
     * @param vocab the vocabulary file or a directory holding it; {@code null} to use {@value #VOCAB_DIR_PROPERTY}.
     *              Ignored by {@code byte}.
     * @throws RwkvException for an unknown name (listing the known ones) or a missing vocabulary file
     */
    public static Tokenizer forName(String name, Path vocab) {
        return switch (name) {
            case ByteTokenizer.NAME -> new ByteTokenizer();
            case WorldTokenizer.NAME -> WorldTokenizer.load(vocabFile(name, WorldTokenizer.VOCAB_FILE, vocab));
            case Neox20bTokenizer.NAME -> Neox20bTokenizer.load(vocabFile(name, Neox20bTokenizer.VOCAB_FILE, vocab));
            case null, default -> throw new RwkvException("unknown tokenizer '" + name + "'; available: "
                    + String.join(", ", NAMES));
        };
    }

    /**
     * The tokenizer of a model with {@code vocabSize} logits: 256 → byte, 65 536 → world, 50 277 / 50 254 /
     * 50 432 → neox20b.
     *
     * @throws RwkvException if the size matches none of them (suggesting {@code --tokenizer}) or the vocabulary
     *                       file is missing
     */
    public static Tokenizer forVocabSize(int vocabSize, Path vocabOrNull) {
        if (vocabSize == 256) {
            return forName(ByteTokenizer.NAME, vocabOrNull);
        }
        if (vocabSize == WorldTokenizer.VOCAB_SIZE) {
            return forName(WorldTokenizer.NAME, vocabOrNull);
        }
        if (NEOX_SIZES.contains(vocabSize)) {
            return forName(Neox20bTokenizer.NAME, vocabOrNull);
        }
        throw new RwkvException("no known tokenizer has a vocabulary of " + vocabSize
                + " tokens (byte: 256, world: 65536, neox20b: 50277/50254/50432); choose one with --tokenizer "
                + String.join("|", NAMES) + " and give its file with --vocab");
    }

    private static Path vocabFile(String name, String fileName, Path given) {
        Path file;
        if (given != null) {
            file = Files.isDirectory(given) ? given.resolve(fileName) : given;
        } else {
            String dir = System.getProperty(VOCAB_DIR_PROPERTY);
            if (dir == null || dir.isBlank()) {
                throw new RwkvException("tokenizer " + name + " needs its vocabulary file " + fileName
                        + ": pass --vocab /path/to/" + fileName + " (or set -D" + VOCAB_DIR_PROPERTY
                        + "=DIR to a directory holding it)");
            }
            file = Path.of(dir).resolve(fileName);
        }
        if (!Files.isRegularFile(file)) {
            throw new RwkvException("tokenizer " + name + " needs its vocabulary file " + fileName + ", but "
                    + file + " does not exist; pass --vocab /path/to/" + fileName);
        }
        return file;
    }
}
