package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.json.JsonException;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed and fully validated safetensors file over a memory-mapped segment, following the format's spec
 * (huggingface/safetensors README, "Format", and the checks of its reference reader {@code validate}):
 *
 * <pre>
 * ┌──────────┬──────────────────────────────────────┬────────────────────────────────────┐
 * │ N: u64 LE│ header: N bytes of UTF-8 JSON,        │ data: every tensor's bytes, back   │
 * │          │ may end in spaces (0x20) for padding  │ to back, no holes, no overlap      │
 * └──────────┴──────────────────────────────────────┴────────────────────────────────────┘
 * header = {"__metadata__": {string: string}?,
 *           "NAME": {"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]}, …}
 * </pre>
 * {@code data_offsets} are relative to the start of the data area. Checked before use: N against the file size
 * and against {@value #MAX_HEADER} bytes (before anything is allocated); the JSON's structure and types; every
 * dtype; {@code shape × dtype size == end − begin}; every range inside the data area; and, sorted by offset, that
 * the ranges tile the data area exactly (the spec forbids holes, so no polyglot content hides in a gap).
 *
 * <p>The {@link Dialect#RWKV_EDGE} dialect additionally accepts the ggml block types ({@code Q8_0}, …; shape in
 * elements) that the rwkv-edge container stores; {@link Dialect#STANDARD} accepts only the spec's dtypes, like
 * the official readers.
 */
public final class SafetensorsFile {
    /** Largest header accepted: the official reader's limit (100 MB). */
    public static final long MAX_HEADER = 100_000_000L;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Which dtype names are legal. */
    public enum Dialect {
        /** The safetensors spec's dtypes only. */
        STANDARD,
        /** Also the ggml block types of the rwkv-edge container. */
        RWKV_EDGE
    }

    /**
     * One tensor of the header.
     *
     * @param begin offset of its first byte in the data area
     * @param end   offset after its last byte in the data area
     */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long byteSize() {
            return end - begin;
        }
    }

    private final Path path;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final List<Entry> entries;

    private SafetensorsFile(Path path, MemorySegment file, long dataStart, Map<String, String> metadata,
                            List<Entry> entries) {
        this.path = path;
        this.file = file;
        this.dataStart = dataStart;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.entries = Collections.unmodifiableList(entries);
    }

    /**
     * Parses and validates {@code file}.
     *
     * @throws WeightFormatException naming the file, and the tensor and byte offset where known
     */
    public static SafetensorsFile parse(Path path, MemorySegment file, Dialect dialect) {
        long size = file.byteSize();
        if (size < 8) {
            throw new WeightFormatException(path, null, 0, "file is " + size + " bytes, too short for the 8-byte "
                    + "safetensors header length: truncated or not a safetensors file");
        }
        long n = file.get(U64, 0);
        if (n < 0 || n > size - 8) {
            throw new WeightFormatException(path, null, 0, "header length " + Long.toUnsignedString(n) + " is larger "
                    + "than the rest of the file (" + (size - 8) + " bytes): truncated or corrupt file");
        }
        if (n > MAX_HEADER) {
            throw new WeightFormatException(path, null, 0, "header length " + n + " exceeds the " + MAX_HEADER
                    + "-byte limit of safetensors readers: corrupt file");
        }
        String text = decode(path, file.asSlice(8, n));
        Map<String, Object> json;
        try {
            if (!text.startsWith("{")) {
                throw new JsonException("the header must be a JSON object starting with '{'", 0);
            }
            json = Json.parseObject(text);
        } catch (JsonException e) {
            throw new WeightFormatException(path, null, 8, "header is not valid JSON: " + e.getMessage(), e);
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>(json.size());
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                metadata = metadata(path, e.getValue());
                continue;
            }
            Entry entry = entry(path, e.getKey(), e.getValue(), dialect);
            if (entry.end() > dataSize) {
                throw new WeightFormatException(path, entry.name(), dataStart + entry.begin(), "data_offsets ["
                        + entry.begin() + ", " + entry.end() + "] run past the end of the data area (" + dataSize
                        + " bytes): the file is truncated");
            }
            entries.add(entry);
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin() != expected) {
                throw new WeightFormatException(path, e.name(), dataStart + e.begin(), e.begin() < expected
                        ? "data_offsets [" + e.begin() + ", " + e.end() + "] overlap the previous tensor (which ends at "
                        + expected + "): corrupt header"
                        : "data_offsets leave a hole of " + (e.begin() - expected) + " bytes before this tensor; "
                        + "safetensors data must be contiguous");
            }
            expected = e.end();
        }
        if (expected != dataSize) {
            throw new WeightFormatException(path, null, dataStart + expected, (dataSize - expected)
                    + " bytes follow the last tensor; safetensors data must end with the last tensor");
        }
        return new SafetensorsFile(path, file, dataStart, metadata, entries);
    }

    /**
     * The header as a string, without its trailing space padding. Before anything of the header's size is allocated,
     * its bytes are checked in place: valid UTF-8 (decoded in small chunks) and no control character other than JSON
     * whitespace, which RFC 8259 never allows unescaped. So a header length that reaches into binary tensor data
     * fails after a scan instead of after copying megabytes; only a header that really is text is copied
     * (as chars, then as a string: at most three times its size).
     */
    private static String decode(Path path, MemorySegment header) {
        long end = header.byteSize();
        while (end > 0 && header.get(ValueLayout.JAVA_BYTE, end - 1) == ' ') {
            end--;
        }
        for (long i = 0; i < end; i++) {
            byte c = header.get(ValueLayout.JAVA_BYTE, i);
            if (c >= 0 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                throw new WeightFormatException(path, null, 8 + i, String.format("header holds the control byte 0x%02x;"
                        + " JSON text cannot, so the header length is wrong or the header is corrupt", c));
            }
        }
        MemorySegment text = header.asSlice(0, end);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = text.asByteBuffer();
        CharBuffer chunk = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = utf8.decode(in, chunk, true);
            if (r.isError()) {
                throw new WeightFormatException(path, null, 8 + in.position(), "header is not valid UTF-8: corrupt file");
            }
            chunk.clear();
            if (r.isUnderflow()) {
                break;
            }
        }
        try {
            return utf8.reset().decode(text.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new WeightFormatException(path, null, 8, "header is not valid UTF-8: corrupt file");
        }
    }

    private static Map<String, String> metadata(Path path, Object value) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new WeightFormatException(path, "__metadata__", 8, "must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new WeightFormatException(path, "__metadata__", 8, "value of \"" + e.getKey()
                        + "\" is not a string; safetensors metadata maps strings to strings");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static Entry entry(Path path, String name, Object value, Dialect dialect) {
        if (!(value instanceof Map<?, ?> info)) {
            throw new WeightFormatException(path, name, 8, "header entry is not an object");
        }
        if (!(info.get("dtype") instanceof String dtype)) {
            throw new WeightFormatException(path, name, 8, "header entry has no \"dtype\" string");
        }
        long[] shape = longs(path, name, info.get("shape"), "shape", -1);
        long[] offsets = longs(path, name, info.get("data_offsets"), "data_offsets", 2);
        if (offsets[0] > offsets[1]) {
            throw new WeightFormatException(path, name, 8, "data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] end before they begin: corrupt header");
        }
        long bytes;
        try {
            bytes = SafetensorsDTypes.byteSize(dtype, Tensor.count(shape), dialect == Dialect.RWKV_EDGE);
        } catch (IllegalArgumentException e) {
            String known = dialect == Dialect.RWKV_EDGE ? "" : (SafetensorsDTypes.blockType(dtype) != null
                    ? " (a block type of the rwkv-edge container; open the file with format rwkv-edge)" : "");
            throw new WeightFormatException(path, name, 8, e.getMessage() + known, e);
        } catch (ArithmeticException e) {
            throw new WeightFormatException(path, name, 8, "shape " + Arrays.toString(shape) + " is too large");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw new WeightFormatException(path, name, 8, dtype + Arrays.toString(shape) + " needs " + bytes
                    + " bytes but data_offsets [" + offsets[0] + ", " + offsets[1] + "] span " + (offsets[1] - offsets[0]));
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(Path path, String name, Object v, String field, int length) {
        if (!(v instanceof List<?> l) || (length >= 0 && l.size() != length)) {
            throw new WeightFormatException(path, name, 8, "\"" + field + "\" must be a list"
                    + (length >= 0 ? " of " + length : "") + " of non-negative integers");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x) || x < 0) {
                throw new WeightFormatException(path, name, 8, "\"" + field + "\" must hold non-negative integers");
            }
            out[i] = x;
        }
        return out;
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensors in data order. */
    public List<Entry> entries() {
        return entries;
    }

    /** Where the data area starts in the file: 8 + header length. */
    public long dataStart() {
        return dataStart;
    }

    /**
     * The tensor of {@code e}, a slice of the mapping.
     *
     * @throws WeightFormatException if rwkv-edge does not read its dtype
     */
    public Tensor tensor(Entry e) {
        DType d = SafetensorsDTypes.toDType(e.dtype());
        if (d == null) {
            throw new WeightFormatException(path, e.name(), dataStart + e.begin(), "dtype " + e.dtype()
                    + " is not supported; rwkv-edge reads F32, F16, BF16, I8 and I32 tensors");
        }
        try {
            return new Tensor(e.name(), d, e.shape(), file.asSlice(dataStart + e.begin(), e.byteSize()));
        } catch (IllegalArgumentException ex) {
            throw new WeightFormatException(path, e.name(), dataStart + e.begin(), ex.getMessage(), ex);
        }
    }
}
