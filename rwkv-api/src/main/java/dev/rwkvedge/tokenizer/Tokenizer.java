package dev.rwkvedge.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Turns text into the token ids a model was trained on, and ids back into the exact bytes they stand for.
 *
 * <p>Decoding is defined on bytes because RWKV tokens are byte sequences: a single token may hold only part of a
 * multi-byte UTF-8 character (the World vocabulary has one token per raw byte, GPT-NeoX's byte-level BPE likewise).
 * {@link #decode} is therefore lossless only for whole sequences; to show text while generating, feed ids one by
 * one to a {@link TextDecoder}, which holds back incomplete characters.
 *
 * <p>Implementations are immutable after loading and safe to share between threads.
 */
public interface Tokenizer {

    /** The name {@link Tokenizers#forName} knows it by ({@code byte}, {@code world}, {@code neox20b}). */
    String name();

    /** The size of the id space: every id this tokenizer produces or decodes is in {@code [0, vocabSize())}. */
    int vocabSize();

    /** The token ids of {@code text}; an empty text gives an empty array. */
    int[] encode(String text);

    /**
     * The exact bytes the ids stand for, concatenated.
     *
     * @throws dev.rwkvedge.RwkvException if an id is outside {@code [0, vocabSize())}
     */
    byte[] decodeBytes(int[] ids);

    /** {@link #decodeBytes} read as UTF-8; malformed or incomplete sequences become U+FFFD. */
    default String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** A fresh streaming decoder over this tokenizer, for showing text token by token. */
    default TextDecoder newDecoder() {
        return new TextDecoder(this);
    }
}
