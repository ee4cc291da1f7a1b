package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.format.blinkdl.BlinkDlLayout;
import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.format.io.DTypePolicy;
import dev.rwkvedge.format.io.MappedFile;
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
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Format {@code safetensors}: safetensors files holding an RWKV state dict, with BlinkDL names (as
 * {@code safetensors.torch.save_file(torch.load(pth))} makes them) or Hugging Face transformers' RWKV-4 names
 * ({@link HfRwkvNames}; {@code config.json} beside the file is checked). Tensors are slices of the mapped file;
 * {@link BlinkDlLayout#toCanonical} turns them into the canonical layout.
 *
 * <p>Writing produces what the safetensors library writes for a BlinkDL state dict: {@code __metadata__}
 * {@code {"format":"pt"}} first, tensors sorted by name, data contiguous, header padded with spaces to a multiple
 * of 8, values converted back with {@link BlinkDlLayout#fromCanonical}. It holds F32, F16, BF16, I8 and I32; the
 * ggml block types have no safetensors dtype, so quantized models are refused (use format rwkv-edge).
 *
 * <p>An rwkv-edge container is also a safetensors file, but its tensors are already canonical: this format gives it
 * a lower probe confidence than format {@code rwkv-edge}, and refuses to open it.
 */
public final class SafetensorsFormatProvider implements WeightFormatProvider {
    public static final String NAME = "safetensors";
    /** The value of {@code __metadata__.format} that marks an rwkv-edge container. */
    public static final String CONTAINER_FORMAT = "rwkv-edge";
    private static final Set<DType> HOLDABLE = EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.I8, DType.I32);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeResult probe(Path path, ByteBuffer head) {
        SafetensorsHead h = SafetensorsHead.of(path, head);
        if (!h.plausible()) {
            return h.reason().startsWith("JSON") ? new ProbeResult(30, h.reason()) : ProbeResult.no(h.reason());
        }
        if (CONTAINER_FORMAT.equals(h.metadataFormat())) {
            return new ProbeResult(90, h.reason() + ": an rwkv-edge container, which format rwkv-edge reads");
        }
        return new ProbeResult(95, h.reason());
    }

    @Override
    public ModelWeights open(Path path) throws IOException {
        MappedFile mapped = MappedFile.map(path);
        try {
            SafetensorsFile file = SafetensorsFile.parse(path, mapped.segment(), SafetensorsFile.Dialect.STANDARD);
            return read(path, file).resource(mapped::close).build();
        } catch (IOException | RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static ModelWeights.Builder read(Path path, SafetensorsFile file) throws IOException {
        if (CONTAINER_FORMAT.equals(file.metadata().get("format"))) {
            throw new WeightFormatException(path, "is an rwkv-edge container (tensors already in the canonical "
                    + "layout); open it with format rwkv-edge, not safetensors");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafetensorsFile.Entry e : file.entries()) {
            tensors.put(e.name(), file.tensor(e));
        }
        boolean hf = HfRwkvNames.isHuggingFace(tensors.keySet());
        if (hf) {
            tensors = HfRwkvNames.toBlinkDl(tensors);
            HfRwkvNames.checkConfig(path, tensors);
        }
        if (!tensors.containsKey("emb.weight")) {
            throw new WeightFormatException(path, "emb.weight", -1, "missing: not an RWKV state dict (expected BlinkDL "
                    + "names such as emb.weight, blocks.0.att.key.weight, or Hugging Face rwkv.embeddings.weight)");
        }
        ModelWeights.Builder b = ModelWeights.builder(path, NAME).metadata("source.layout", hf ? "hf" : "blinkdl");
        file.metadata().forEach((k, v) -> b.metadata("safetensors." + k, v));
        for (Tensor t : BlinkDlLayout.toCanonical(tensors, path)) {
            b.put(t);
        }
        return b;
    }

    @Override
    public boolean canWrite() {
        return true;
    }

    /** Writes BlinkDL names and values, sorted by name, as the safetensors library does. */
    @Override
    public void write(ModelWeights weights, Path path, WriteOptions options) throws IOException {
        DTypePolicy.checkRequest(options.dtype(), HOLDABLE, NAME, path);
        List<Tensor> blinkDl = new ArrayList<>(BlinkDlLayout.fromCanonical(weights.tensors(), weights.source()));
        blinkDl.sort(Comparator.comparing(Tensor::name));
        List<SafetensorsWriter.Item> items = new ArrayList<>(blinkDl.size());
        for (Tensor t : blinkDl) {
            items.add(new SafetensorsWriter.Item(t.name(), t,
                    DTypePolicy.target(t.name(), t, options.dtype(), HOLDABLE, NAME, path)));
        }
        AtomicFiles.write(path, out -> SafetensorsWriter.write(out, Map.of("format", "pt"), items, 8, 1));
    }
}
