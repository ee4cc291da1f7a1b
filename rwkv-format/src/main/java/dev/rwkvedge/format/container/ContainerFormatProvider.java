package dev.rwkvedge.format.container;

import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.format.io.DTypePolicy;
import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.format.safetensors.SafetensorsFile;
import dev.rwkvedge.format.safetensors.SafetensorsHead;
import dev.rwkvedge.format.safetensors.SafetensorsWriter;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.ProbeResult;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Format {@code rwkv-edge}: rwkv-edge's own container (DESIGN.md §6), a safetensors file whose tensors are in the
 * {@link dev.rwkvedge.model.CanonicalLayout canonical layout} (no conversion on load) and whose
 * {@code __metadata__} describes the model ({@link ContainerMetadata}).
 *
 * <p>Layout. Every tensor's data starts at a multiple of {@value #ALIGNMENT} bytes in the file, so a mapped
 * tensor is cache-line (and SIMD) aligned: the JSON header is padded with spaces so the data area starts on a
 * 64-byte boundary, and a zero-filled {@code U8} padding tensor {@code __padding_N__} fills the gap before any
 * tensor that would otherwise start unaligned ({@link SafetensorsWriter}). Padding tensors instead of gaps because
 * safetensors forbids holes in the data area; with them a float container is a valid safetensors file that the
 * official library (and {@link SafetensorsFile.Dialect#STANDARD}) reads. Tensors keep the order of the weights.
 *
 * <p>Types: every {@link DType}. The ggml block types are stored under their own names ({@code "Q8_0"}, …) with
 * the shape in elements; the official safetensors library does not know these names, so a container holding
 * block-quantized tensors is readable only by rwkv-edge.
 */
public final class ContainerFormatProvider implements WeightFormatProvider {
    public static final String NAME = "rwkv-edge";
    public static final int ALIGNMENT = 64;
    private static final Set<DType> HOLDABLE = EnumSet.allOf(DType.class);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeResult probe(Path path, ByteBuffer head) {
        SafetensorsHead h = SafetensorsHead.of(path, head);
        if (h.plausible() && ContainerMetadata.FORMAT.equals(h.metadataFormat())) {
            return ProbeResult.certain(h.reason());
        }
        return ProbeResult.no(h.plausible() ? h.reason() + ", not an rwkv-edge container" : h.reason());
    }

    @Override
    public ModelWeights open(Path path) throws IOException {
        MappedFile mapped = MappedFile.map(path);
        try {
            SafetensorsFile file = SafetensorsFile.parse(path, mapped.segment(), SafetensorsFile.Dialect.RWKV_EDGE);
            return read(path, file).resource(mapped::close).build();
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static ModelWeights.Builder read(Path path, SafetensorsFile file) {
        String format = file.metadata().get("format");
        if (!ContainerMetadata.FORMAT.equals(format)) {
            throw new WeightFormatException(path, "__metadata__", 8, "format is " + (format == null ? "missing"
                    : "\"" + format + "\"") + ", not \"rwkv-edge\": a plain safetensors file (open it with format "
                    + "safetensors)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafetensorsFile.Entry e : file.entries()) {
            if (SafetensorsWriter.isPadding(e.name())) {
                if (!e.dtype().equals("U8") || e.shape().length != 1) {
                    throw new WeightFormatException(path, e.name(), file.dataStart() + e.begin(),
                            "padding tensors must be U8 vectors");
                }
                continue;
            }
            tensors.put(e.name(), file.tensor(e));
        }
        ModelWeights.Builder b = ModelWeights.builder(path, NAME);
        ContainerMetadata.read(path, file.metadata(), tensors, b);
        tensors.values().forEach(b::put);
        return b;
    }

    @Override
    public boolean canWrite() {
        return true;
    }

    @Override
    public void write(ModelWeights weights, Path path, WriteOptions options) throws IOException {
        DTypePolicy.checkRequest(options.dtype(), HOLDABLE, NAME, path);
        Map<String, String> metadata = ContainerMetadata.forWrite(weights, version(), path);
        List<SafetensorsWriter.Item> items = new ArrayList<>(weights.names().size());
        for (Tensor t : weights.tensors()) {
            items.add(new SafetensorsWriter.Item(t.name(), t,
                    DTypePolicy.target(t.name(), t, options.dtype(), HOLDABLE, NAME, path)));
        }
        AtomicFiles.write(path, out -> SafetensorsWriter.write(out, metadata, items, ALIGNMENT, ALIGNMENT));
    }
}
