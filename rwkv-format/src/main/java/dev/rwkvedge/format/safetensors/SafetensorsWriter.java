package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.format.io.TensorEncoder;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file (layout in {@link SafetensorsFile}): the header is built first from the tensors' target
 * types and shapes, then every tensor is streamed from its source segment in its target type.
 *
 * <p>Alignment. The header is padded with spaces so that the data area starts at a multiple of
 * {@code headerMultiple} (the spec allows trailing whitespace; the safetensors library itself pads to 8). When
 * {@code tensorAlignment} is larger than 1, every tensor is made to start at a multiple of it in the file by placing
 * a padding tensor before it where needed: a {@code U8} vector of zeros named {@value #PADDING_PREFIX}{@code N__}.
 * Padding tensors rather than gaps, because the spec (and the official reader's {@code validate}) require the data
 * area to be covered by tensors without holes; with them the file stays a valid safetensors file that any reader
 * accepts, and rwkv-edge's readers skip them by name.
 * <pre>
 *  [N][{"__metadata__":…,"a":{…[0,100]},"__padding_0__":{"dtype":"U8","shape":[28],…[100,128]},"b":{…[128,…]}}␠␠␠]
 *   0  8                                                                                          8+N ≡ 0 (mod 64)
 *  data: [a: 100 bytes][28 zero bytes][b …]      every tensor starts at 8+N+begin ≡ 0 (mod 64)
 * </pre>
 */
public final class SafetensorsWriter {
    /** Name prefix of the zero-filled alignment tensors. */
    public static final String PADDING_PREFIX = "__padding_";

    /** One tensor to write: its header name, data source and on-disk type. */
    public record Item(String name, Tensor source, DType target) {
        long byteSize() {
            return target.byteSize(source.elementCount());
        }
    }

    private SafetensorsWriter() {
    }

    /** Whether {@code name} is one of the padding tensors this writer inserts. */
    public static boolean isPadding(String name) {
        return name.startsWith(PADDING_PREFIX) && name.endsWith("__");
    }

    /**
     * Writes the whole file.
     *
     * @param metadata        the {@code __metadata__} map (string to string), written first; omitted when empty
     * @param headerMultiple  the data area starts at a multiple of this (8 for plain safetensors)
     * @param tensorAlignment every tensor starts at a multiple of this in the file (1: no padding tensors)
     */
    public static void write(WritableByteChannel out, Map<String, String> metadata, List<Item> items,
                             int headerMultiple, int tensorAlignment) throws IOException {
        if (tensorAlignment > 1 && headerMultiple % tensorAlignment != 0) {
            throw new IllegalArgumentException("header multiple " + headerMultiple + " is not a multiple of the "
                    + "tensor alignment " + tensorAlignment);
        }
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        List<Object> layout = new ArrayList<>(items.size());
        long off = 0;
        int pads = 0;
        for (Item item : items) {
            if (isPadding(item.name()) || item.name().equals("__metadata__") || header.containsKey(item.name())) {
                throw new IllegalArgumentException("tensor name '" + item.name() + "' is reserved or appears twice");
            }
            long misalignment = tensorAlignment > 1 ? off % tensorAlignment : 0;
            if (misalignment != 0) {
                long pad = tensorAlignment - misalignment;
                header.put(PADDING_PREFIX + pads++ + "__", info("U8", new long[] {pad}, off, off + pad));
                layout.add(pad);
                off += pad;
            }
            long bytes = item.byteSize();
            header.put(item.name(), info(SafetensorsDTypes.name(item.target()), item.source().shape(), off, off + bytes));
            layout.add(item);
            off += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int n = json.length;
        while ((8 + n) % headerMultiple != 0) {
            n++;
        }
        ByteBuffer head = ByteBuffer.allocate(8 + n).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(n).put(json);
        Arrays.fill(head.array(), 8 + json.length, 8 + n, (byte) ' ');
        head.position(0);
        TensorEncoder.writeFully(head, out);
        TensorEncoder encoder = new TensorEncoder();
        for (Object o : layout) {
            if (o instanceof Item item) {
                encoder.write(item.source(), item.target(), out);
            } else {
                encoder.zeros((Long) o, out);
            }
        }
    }

    private static Map<String, Object> info(String dtype, long[] shape, long begin, long end) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dtype", dtype);
        m.put("shape", shape);
        m.put("data_offsets", List.of(begin, end));
        return m;
    }
}
