package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The RWKV World tokenizer ({@code rwkv_vocab_v20230424.txt}), reproducing ChatRWKV's {@code TRIE_TOKENIZER}
 * (rwkv_tokenizer.py in ChatRWKV / RWKV-LM): encoding is a greedy longest match over the UTF-8 bytes of the text,
 * decoding concatenates the tokens' bytes.
 *
 * <p>Vocabulary file: one token per line, {@code <id> <Python str or bytes literal> <byte length>}; a {@code str}
 * stands for its UTF-8 encoding (see {@link PythonLiteral}). The stated length is checked, as the reference does.
 *
 * <p>World models have 65 536 logits; id 0 is end-of-text and ids past the file's last have no token. Those ids
 * decode to no bytes, so a model that samples them does not break streaming.
 */
public final class WorldTokenizer implements Tokenizer {
    public static final String NAME = "world";
    /** The vocabulary file World models use. */
    public static final String VOCAB_FILE = "rwkv_vocab_v20230424.txt";
    /** Logits of every World model. */
    public static final int VOCAB_SIZE = 65536;

    private static final byte[] NO_BYTES = new byte[0];

    private final byte[][] tokens;
    private final ByteTrie trie;

    private WorldTokenizer(byte[][] tokens) {
        this.tokens = tokens;
        this.trie = new ByteTrie(tokens);
    }

    /**
     * @throws RwkvException naming the file and line when the file is missing, unreadable or malformed
     */
    public static WorldTokenizer load(Path vocab) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(vocab)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new RwkvException("World vocabulary " + vocab + " is not valid UTF-8");
        } catch (IOException e) {
            throw new RwkvException("cannot read World vocabulary " + vocab + ": " + e.getMessage(), e);
        }
        byte[][] tokens = new byte[VOCAB_SIZE][];
        Map<String, Integer> seen = new HashMap<>();
        int lineNo = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            lineNo++;
            String line = text.substring(start, end);
            start = end + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank()) {
                continue;
            }
            parseLine(vocab, lineNo, line, tokens, seen);
        }
        if (seen.isEmpty()) {
            throw new RwkvException("World vocabulary " + vocab + " has no tokens");
        }
        return new WorldTokenizer(tokens);
    }

    private static void parseLine(Path vocab, int lineNo, String line, byte[][] tokens, Map<String, Integer> seen) {
        String where = "World vocabulary " + vocab + " line " + lineNo;
        int first = line.indexOf(' ');
        int last = line.lastIndexOf(' ');
        if (first < 0 || last <= first) {
            throw new RwkvException(where + ": expected '<id> <literal> <length>', got: " + line);
        }
        int id;
        int length;
        try {
            id = Integer.parseInt(line.substring(0, first));
            length = Integer.parseInt(line.substring(last + 1).strip());
        } catch (NumberFormatException e) {
            throw new RwkvException(where + ": id and length must be integers: " + line);
        }
        if (id < 0 || id >= VOCAB_SIZE) {
            throw new RwkvException(where + ": id " + id + " is outside 0.." + (VOCAB_SIZE - 1));
        }
        byte[] bytes;
        try {
            bytes = PythonLiteral.parse(line.substring(first, last));
        } catch (IllegalArgumentException e) {
            throw new RwkvException(where + ": " + e.getMessage());
        }
        if (bytes.length != length) {
            throw new RwkvException(where + ": token is " + bytes.length + " bytes but the line says " + length);
        }
        if (bytes.length == 0) {
            throw new RwkvException(where + ": empty token");
        }
        if (tokens[id] != null) {
            throw new RwkvException(where + ": id " + id + " appears twice");
        }
        Integer other = seen.putIfAbsent(new String(bytes, StandardCharsets.ISO_8859_1), id);
        if (other != null) {
            throw new RwkvException(where + ": token of id " + id + " has the same bytes as id " + other);
        }
        tokens[id] = bytes;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return VOCAB_SIZE;
    }

    @Override
    public int[] encode(String text) {
        return encodeBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Greedy longest match over raw bytes (ChatRWKV's {@code encodeBytes}).
     *
     * @throws RwkvException if some byte starts no token (cannot happen with the official vocabulary, which has
     *                       every single byte)
     */
    public int[] encodeBytes(byte[] src) {
        int[] out = new int[Math.max(16, src.length / 3)];
        int n = 0;
        int i = 0;
        while (i < src.length) {
            long m = trie.longestMatch(src, i, src.length);
            if (m < 0) {
                throw new RwkvException(String.format(
                        "the World vocabulary has no token starting with byte 0x%02x (at byte %d)", src[i] & 0xFF, i));
            }
            if (n == out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            out[n++] = (int) m;
            i = (int) (m >>> 32);
        }
        return Arrays.copyOf(out, n);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        int total = 0;
        for (int id : ids) {
            total += tokenBytes(id).length;
        }
        byte[] out = new byte[total];
        int pos = 0;
        for (int id : ids) {
            byte[] t = tokenBytes(id);
            System.arraycopy(t, 0, out, pos, t.length);
            pos += t.length;
        }
        return out;
    }

    private byte[] tokenBytes(int id) {
        if (id < 0 || id >= VOCAB_SIZE) {
            throw new RwkvException("token id " + id + " is outside the World vocabulary 0.." + (VOCAB_SIZE - 1));
        }
        byte[] t = tokens[id];
        return t == null ? NO_BYTES : t;
    }
}
