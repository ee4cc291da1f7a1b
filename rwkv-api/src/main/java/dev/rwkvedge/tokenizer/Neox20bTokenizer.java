package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.json.JsonException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPT-NeoX 20B tokenizer of RWKV-4 Pile and Raven models ({@code 20B_tokenizer.json}), reproducing what Hugging
 * Face tokenizers does with that file, step by step:
 * <ol>
 *   <li>added tokens whose {@code normalized} flag is false ({@code <|endoftext|>}, {@code <|padding|>}) are cut out
 *       of the raw text ({@link AddedTokens}, leftmost-longest);</li>
 *   <li>the rest is NFC-normalised ({@code normalizer: NFC}), then the normalised added tokens (runs of 2 to 24
 *       spaces) are cut out;</li>
 *   <li>each remaining segment goes through the {@code ByteLevel} pre-tokenizer: an optional prefix space
 *       ({@code add_prefix_space}), the GPT-2 split regex, and the byte ↔ character map ({@link ByteLevel});</li>
 *   <li>each word is encoded by byte-pair merges ({@link BytePairEncoder}).</li>
 * </ol>
 * Decoding maps each token's characters back to bytes (the {@code ByteLevel} decoder). No special tokens are added
 * around the text, like {@code encode(text, add_special_tokens=False)}.
 */
public final class Neox20bTokenizer implements Tokenizer {
    public static final String NAME = "neox20b";
    /** The tokenizer file RWKV-4 Pile / Raven models use. */
    public static final String VOCAB_FILE = "20B_tokenizer.json";

    /** GPT-2's pre-tokenization regex, as in HF tokenizers' ByteLevel; {@code \s} must be Unicode whitespace. */
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static final byte[] NO_BYTES = new byte[0];

    private final byte[][] tokenBytes;
    private final BytePairEncoder bpe;
    private final AddedTokens rawAdded;
    private final AddedTokens normalizedAdded;
    private final boolean nfc;
    private final boolean addPrefixSpace;
    private final boolean useRegex;

    private Neox20bTokenizer(byte[][] tokenBytes, BytePairEncoder bpe, AddedTokens rawAdded,
                             AddedTokens normalizedAdded, boolean nfc, boolean addPrefixSpace, boolean useRegex) {
        this.tokenBytes = tokenBytes;
        this.bpe = bpe;
        this.rawAdded = rawAdded;
        this.normalizedAdded = normalizedAdded;
        this.nfc = nfc;
        this.addPrefixSpace = addPrefixSpace;
        this.useRegex = useRegex;
    }

    /**
     * Loads a Hugging Face {@code tokenizer.json} with a byte-level BPE model (the layout of
     * {@code 20B_tokenizer.json}).
     *
     * @throws RwkvException naming the file and the problem if it is missing, not JSON, or uses a feature this
     *                       implementation does not reproduce
     */
    public static Neox20bTokenizer load(Path file) {
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RwkvException("cannot read tokenizer file " + file + ": " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new RwkvException("tokenizer file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        Reader r = new Reader(file);
        boolean nfc = r.normalizer(root.get("normalizer"));
        Map<String, Object> pre = r.object(root.get("pre_tokenizer"), "pre_tokenizer");
        r.requireType(pre, "ByteLevel", "pre_tokenizer");
        boolean addPrefixSpace = r.flag(pre, "add_prefix_space", false, "pre_tokenizer");
        boolean useRegex = r.flag(pre, "use_regex", true, "pre_tokenizer");
        Object decoder = root.get("decoder");
        if (decoder != null) {
            r.requireType(r.object(decoder, "decoder"), "ByteLevel", "decoder");
        }

        Map<String, Object> model = r.object(root.get("model"), "model");
        if (model.get("type") != null) {
            r.requireType(model, "BPE", "model");
        }
        for (String unsupported : List.of("dropout", "continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(unsupported);
            if (v != null && !(v instanceof String str && str.isEmpty())) {
                throw r.error("model." + unsupported + " = " + v + " is not supported");
            }
        }
        Map<String, Integer> vocab = new HashMap<>();
        int size = 0;
        for (Map.Entry<String, Object> e : r.object(model.get("vocab"), "model.vocab").entrySet()) {
            int id = r.id(e.getValue(), "model.vocab \"" + e.getKey() + "\"");
            vocab.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }

        Map<String, Integer> raw = new LinkedHashMap<>();
        Map<String, Integer> normalized = new LinkedHashMap<>();
        Map<Integer, String> added = new HashMap<>();
        Object addedList = root.get("added_tokens");
        if (addedList != null) {
            for (Object o : r.list(addedList, "added_tokens")) {
                Map<String, Object> t = r.object(o, "added_tokens[]");
                int id = r.id(t.get("id"), "added_tokens[].id");
                if (!(t.get("content") instanceof String content) || content.isEmpty()) {
                    throw r.error("added token " + id + " has no content");
                }
                for (String flag : List.of("single_word", "lstrip", "rstrip")) {
                    if (r.flag(t, flag, false, "added token " + id)) {
                        throw r.error("added token " + id + " uses " + flag + ", which is not supported");
                    }
                }
                boolean special = r.flag(t, "special", false, "added token " + id);
                boolean norm = r.flag(t, "normalized", !special, "added token " + id);
                (norm ? normalized : raw).put(content, id);
                added.put(id, content);
                size = Math.max(size, id + 1);
            }
        }

        String[] tokens = new String[size];
        vocab.forEach((tok, id) -> tokens[id] = tok);
        added.forEach((id, tok) -> tokens[id] = tok);
        byte[][] bytes = new byte[size][];
        for (int id = 0; id < size; id++) {
            bytes[id] = tokens[id] == null ? null : ByteLevel.decode(tokens[id]);
        }

        // 20B_tokenizer.json has no token for the 13 bytes that never occur in UTF-8 (C0, C1, F5..FF).
        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.valueOf(ByteLevel.charOf(b)), -1);
        }
        Map<Long, Long> merges = new HashMap<>();
        List<Object> mergeList = r.list(model.get("merges"), "model.merges");
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] ab = r.merge(mergeList.get(rank), rank);
            Integer left = vocab.get(ab[0]);
            Integer right = vocab.get(ab[1]);
            Integer merged = vocab.get(ab[0] + ab[1]);
            if (left == null || right == null || merged == null) {
                throw r.error("merge " + rank + " \"" + ab[0] + " " + ab[1] + "\" uses a token missing from model.vocab");
            }
            merges.put(BytePairEncoder.pair(left, right), ((long) rank << 32) | merged);
        }
        return new Neox20bTokenizer(bytes, new BytePairEncoder(byteIds, merges), new AddedTokens(raw),
                new AddedTokens(normalized), nfc, addPrefixSpace, useRegex);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return tokenBytes.length;
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 16);
        for (AddedTokens.Piece p : rawAdded.split(text)) {
            if (p.isToken()) {
                out.add(p.id());
                continue;
            }
            String norm = nfc ? Normalizer.normalize(p.text(), Normalizer.Form.NFC) : p.text();
            for (AddedTokens.Piece q : normalizedAdded.split(norm)) {
                if (q.isToken()) {
                    out.add(q.id());
                } else {
                    encodeSegment(q.text(), out);
                }
            }
        }
        return out.toArray();
    }

    private void encodeSegment(String segment, IntList out) {
        String s = addPrefixSpace && !segment.startsWith(" ") ? " " + segment : segment;
        if (!useRegex) {
            out.addAll(bpe.encode(s.getBytes(StandardCharsets.UTF_8)));
            return;
        }
        Matcher m = GPT2_SPLIT.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                out.addAll(bpe.encode(s.substring(last, m.start()).getBytes(StandardCharsets.UTF_8)));
            }
            out.addAll(bpe.encode(s.substring(m.start(), m.end()).getBytes(StandardCharsets.UTF_8)));
            last = m.end();
        }
        if (last < s.length()) {
            out.addAll(bpe.encode(s.substring(last).getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= tokenBytes.length) {
                throw new RwkvException("token id " + id + " is outside the " + NAME + " vocabulary 0.."
                        + (tokenBytes.length - 1));
            }
            byte[] b = tokenBytes[id];
            out.writeBytes(b == null ? NO_BYTES : b);
        }
        return out.toByteArray();
    }

    /** Growable int array for the encoder's output. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(16, capacity)];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
            }
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Typed access to the parsed JSON with errors that name the file. */
    private record Reader(Path file) {
        RwkvException error(String problem) {
            return new RwkvException("tokenizer file " + file + ": " + problem);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(Object o, String what) {
            if (o instanceof Map<?, ?> m) {
                return (Map<String, Object>) m;
            }
            throw error(what + " must be a JSON object");
        }

        @SuppressWarnings("unchecked")
        List<Object> list(Object o, String what) {
            if (o instanceof List<?> l) {
                return (List<Object>) l;
            }
            throw error(what + " must be a JSON array");
        }

        int id(Object o, String what) {
            if (o instanceof Long l && l >= 0 && l < Integer.MAX_VALUE) {
                return (int) (long) l;
            }
            throw error(what + " must be a non-negative integer id, is " + o);
        }

        boolean flag(Map<String, Object> m, String key, boolean dflt, String what) {
            Object v = m.get(key);
            if (v == null) {
                return dflt;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            throw error(what + "." + key + " must be true or false");
        }

        void requireType(Map<String, Object> m, String type, String what) {
            if (!type.equals(m.get("type"))) {
                throw error(what + " type " + m.get("type") + " is not supported (only " + type + ")");
            }
        }

        /** True for NFC, false for none; anything else is unsupported. */
        boolean normalizer(Object o) {
            if (o == null) {
                return false;
            }
            Map<String, Object> m = object(o, "normalizer");
            requireType(m, "NFC", "normalizer");
            return true;
        }

        /** A merge is {@code "a b"} (tokenizers before 0.20) or {@code ["a", "b"]}. */
        String[] merge(Object o, int rank) {
            if (o instanceof String s) {
                int sp = s.indexOf(' ');
                if (sp > 0 && sp == s.lastIndexOf(' ') && sp < s.length() - 1) {
                    return new String[] {s.substring(0, sp), s.substring(sp + 1)};
                }
            } else if (o instanceof List<?> l && l.size() == 2 && l.get(0) instanceof String a
                    && l.get(1) instanceof String b) {
                return new String[] {a, b};
            }
            throw error("model.merges[" + rank + "] is not a pair of tokens: " + o);
        }
    }
}
