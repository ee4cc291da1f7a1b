package dev.rwkvedge.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens (special tokens such as {@code <|endoftext|>}, GPT-NeoX's runs of spaces) in text before it is
 * pre-tokenized, as the {@code AddedVocabulary} of Hugging Face tokenizers does with leftmost-longest matching: the
 * earliest position where any added token starts wins, and there the longest token.
 */
final class AddedTokens {
    /** One piece of split text: an added token's id, or (id {@code -1}) plain text for the model. */
    record Piece(int id, String text) {
        boolean isToken() {
            return id >= 0;
        }
    }

    private record Entry(String content, int id) {
    }

    private final Map<Character, List<Entry>> byFirstChar = new HashMap<>();

    AddedTokens(Map<String, Integer> tokens) {
        for (Map.Entry<String, Integer> e : tokens.entrySet()) {
            if (!e.getKey().isEmpty()) {
                byFirstChar.computeIfAbsent(e.getKey().charAt(0), k -> new ArrayList<>())
                        .add(new Entry(e.getKey(), e.getValue()));
            }
        }
        for (List<Entry> l : byFirstChar.values()) {
            l.sort(Comparator.comparingInt((Entry x) -> x.content().length()).reversed());
        }
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** Splits {@code text} into added tokens and the plain text between them (empty text is left out). */
    List<Piece> split(String text) {
        List<Piece> out = new ArrayList<>();
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) {
                out.add(new Piece(-1, text));
            }
            return out;
        }
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            List<Entry> candidates = byFirstChar.get(text.charAt(i));
            Entry match = null;
            if (candidates != null) {
                for (Entry e : candidates) {
                    if (text.startsWith(e.content(), i)) {
                        match = e;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            if (i > plainStart) {
                out.add(new Piece(-1, text.substring(plainStart, i)));
            }
            out.add(new Piece(match.id(), match.content()));
            i += match.content().length();
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Piece(-1, text.substring(plainStart)));
        }
        return out;
    }
}
