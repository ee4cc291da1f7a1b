package dev.rwkvedge.format.container;

import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.format.safetensors.SafetensorsFile;
import dev.rwkvedge.format.safetensors.SafetensorsFormatProvider;
import dev.rwkvedge.format.safetensors.SafetensorsWriter;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rwkv-edge container: canonical tensors, 64-byte alignment, metadata, safetensors compatibility. */
class ContainerFormatProviderTest {
    private final ContainerFormatProvider provider = new ContainerFormatProvider();
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    private Path containerOf(String version, String precision) throws IOException {
        Path out = dir.resolve(version + "-" + precision + ".rwkv-edge");
        try (ModelWeights w = new PthFormatProvider().open(ReferenceModels.pth(version, precision))) {
            provider.write(w, out, WriteOptions.keep());
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void holdsTheCanonicalTensorsAlignedTo64Bytes(String v) throws Exception {
        Path c = containerOf(v, "fp32");
        try (ModelWeights ref = ReferenceModels.reference(v); ModelWeights back = provider.open(c)) {
            TensorComparison.assertSameTensors(ref, back, TensorComparison.EXACT);
            assertEquals(new ArrayList<>(ref.names()).size(), back.names().size());
            for (Tensor t : back.tensors()) {
                assertEquals(0, t.data().address() % 64, t.name() + " is 64-byte aligned in memory");
            }
        }
        try (MappedFile m = MappedFile.map(c)) {
            SafetensorsFile f = SafetensorsFile.parse(c, m.segment(), SafetensorsFile.Dialect.RWKV_EDGE);
            assertEquals(0, f.dataStart() % 64, "data area starts on 64 bytes");
            for (SafetensorsFile.Entry e : f.entries()) {
                if (!SafetensorsWriter.isPadding(e.name())) {
                    assertEquals(0, (f.dataStart() + e.begin()) % 64, e.name() + " file offset");
                }
            }
        }
    }

    /** A float container is a valid safetensors file: the strict standard parse reads the same raw tensors. */
    @Test
    void standardSafetensorsParseReadsIt() throws Exception {
        Path c = containerOf("5v1", "bf16");
        try (MappedFile m = MappedFile.map(c); ModelWeights back = provider.open(c)) {
            SafetensorsFile f = SafetensorsFile.parse(c, m.segment(), SafetensorsFile.Dialect.STANDARD);
            int pads = 0;
            for (SafetensorsFile.Entry e : f.entries()) {
                if (SafetensorsWriter.isPadding(e.name())) {
                    pads++;
                    assertEquals("U8", e.dtype());
                    assertTrue(m.segment().asSlice(f.dataStart() + e.begin(), e.byteSize()).elements(
                            java.lang.foreign.ValueLayout.JAVA_BYTE).allMatch(b -> b.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 0));
                    continue;
                }
                Tensor raw = f.tensor(e);
                assertEquals(-1, raw.data().mismatch(back.get(e.name()).data()), e.name());
            }
            assertTrue(pads > 0, "v5.1 needs padding tensors: its per-head decays are (8,1,1) F32, 32 bytes");
            assertFalse(back.names().stream().anyMatch(SafetensorsWriter::isPadding), "padding is hidden");
            assertEquals(DType.BF16, back.get("blocks.0.att.key.weight").dtype());
        }
    }

    @Test
    void metadataDescribesTheModel() throws Exception {
        Path c = containerOf("5v2", "fp32");
        try (MappedFile m = MappedFile.map(c)) {
            Map<String, String> meta = SafetensorsFile.parse(c, m.segment(), SafetensorsFile.Dialect.STANDARD).metadata();
            assertEquals(List.of("format", "format_version", "config", "operators", "manifest"),
                    new ArrayList<>(meta.keySet()).subList(0, 5));
            assertEquals("rwkv-edge", meta.get("format"));
            assertEquals("1", meta.get("format_version"));
            Map<String, Object> config = Json.parseObject(meta.get("config"));
            assertEquals("v5.2", config.get("version"));
            assertEquals(12L, config.get("n_layer"));
            assertEquals(64L, config.get("n_embd"));
            assertEquals(256L, config.get("n_vocab"));
            assertEquals(8L, config.get("head_size"));
            assertEquals(256L, config.get("ffn"));
            Map<String, Object> ops = Json.parseObject(meta.get("operators"));
            List<?> layers = (List<?>) ops.get("layers");
            assertEquals(12, layers.size());
            assertEquals(Map.of("att.receptance", "dense", "att.key", "dense", "att.value", "dense", "att.gate", "dense",
                    "att.output", "dense", "ffn.key", "dense", "ffn.value", "dense", "ffn.receptance", "dense"),
                    layers.get(3));
            Map<String, Object> manifest = Json.parseObject(meta.get("manifest"));
            assertEquals(List.of(), manifest.get("steps"));
            assertEquals("rwkv-edge", ((Map<?, ?>) manifest.get("producer")).get("name"));
            assertEquals("pth", ((Map<?, ?>) manifest.get("source")).get("format"));
            assertEquals("tiny-rwkv-5v2-fp32", meta.get("pth.root"), "source metadata is kept");
        }
        try (ModelWeights w = provider.open(c)) {
            assertTrue(w.metadata().containsKey("rwkv-edge.config"));
            assertEquals("blinkdl", w.metadata().get("source.layout"));
        }
    }

    @Test
    void operatorMapAndCompressorStepsSurviveRewriting() throws Exception {
        Path c = containerOf("7v0", "bf16");
        Path again = dir.resolve("again.rwkv-edge");
        String step = "{\"name\":\"quantize\",\"version\":\"1\",\"params\":{\"dtype\":\"q8_0\"}}";
        try (ModelWeights w = provider.open(c)) {
            ModelWeights changed = w.toBuilder().metadata("rwkv-edge.manifest",
                    "{\"producer\":{},\"steps\":[" + step + "]}").build();
            provider.write(changed, again, WriteOptions.keep());
        }
        try (ModelWeights w = provider.open(again)) {
            List<?> steps = (List<?>) Json.parseObject(w.metadata().get("rwkv-edge.manifest")).get("steps");
            assertEquals(List.of(Json.parseObject(step)), steps);
            assertEquals(Json.parseObject(w.metadata().get("rwkv-edge.operators")).get("layers") instanceof List<?> l
                    ? l.size() : -1, 12);
        }
    }

    @Test
    void blockQuantizedTensorsAreStoredAsTheyAre() throws Exception {
        Path c = dir.resolve("q.rwkv-edge");
        try (ModelWeights q = new RwkvCppFormatProvider().open(ReferenceModels.bin("5v1", "Q5_1"))) {
            provider.write(q, c, WriteOptions.keep());
            try (ModelWeights back = provider.open(c)) {
                for (Tensor t : q.tensors()) {
                    Tensor b = back.get(t.name());
                    assertEquals(t.dtype(), b.dtype(), t.name());
                    assertEquals(-1, t.data().mismatch(b.data()), t.name());
                }
                assertEquals(DType.Q5_1, back.get("blocks.2.att.key.weight").dtype());
            }
        }
        try (MappedFile m = MappedFile.map(c)) {
            WeightFormatException e = assertThrows(WeightFormatException.class,
                    () -> SafetensorsFile.parse(c, m.segment(), SafetensorsFile.Dialect.STANDARD));
            assertMentions(e, "unknown dtype \"Q5_1\"", "format rwkv-edge");
        }
    }

    @Test
    void detectionPrefersTheContainerFormat() throws Exception {
        Path c = containerOf("4v0", "bf16");
        assertEquals(100, provider.probe(c, WeightFormats.head(c)).confidence());
        assertEquals(90, new SafetensorsFormatProvider().probe(c, WeightFormats.head(c)).confidence());
        assertEquals("rwkv-edge", WeightFormats.detect(c).name());
        Path plain = ReferenceModels.safetensors("4v0", "bf16");
        assertEquals(0, provider.probe(plain, WeightFormats.head(plain)).confidence());
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> new SafetensorsFormatProvider().open(c));
        assertMentions(e, c.toString(), "open it with format rwkv-edge");
        WeightFormatException p = assertThrows(WeightFormatException.class, () -> provider.open(plain));
        assertMentions(p, plain.toString(), "format is \"pt\"", "not \"rwkv-edge\"");
    }

    @Test
    void truncatedContainerIsReported() throws Exception {
        Path c = containerOf("5v1", "bf16");
        try (FileChannel ch = FileChannel.open(c, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(c));
        assertMentions(e, c.toString(), "run past the end of the data area", "truncated");
    }

    /** Writes a container-like file with chosen metadata, to test the reader's checks. */
    private Path withMetadata(Map<String, String> meta) throws IOException {
        Path f = dir.resolve("meta.rwkv-edge");
        Files.deleteIfExists(f);
        try (ModelWeights ref = ReferenceModels.reference("7v0"); FileChannel ch = FileChannel.open(f,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            List<SafetensorsWriter.Item> items = new ArrayList<>();
            for (Tensor t : ref.tensors()) {
                items.add(new SafetensorsWriter.Item(t.name(), t, t.dtype()));
            }
            SafetensorsWriter.write(ch, meta, items, 64, 64);
        }
        return f;
    }

    private static Map<String, String> meta(String version, String config) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "rwkv-edge");
        m.put("format_version", version);
        m.put("config", config);
        m.put("operators", "{}");
        m.put("manifest", "{\"steps\":[]}");
        return m;
    }

    @Test
    void metadataIsChecked() throws Exception {
        String good = "{\"version\":\"v7\",\"n_layer\":12,\"n_embd\":64,\"n_vocab\":256}";
        try (ModelWeights w = provider.open(withMetadata(meta("1", good)))) {
            assertEquals(339, w.names().size());
        }
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(withMetadata(meta("2", good)))),
                "container format version 2 is not supported");
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(withMetadata(
                meta("1", good.replace("12", "11"))))), "config n_layer is 11 but the tensors say 12");
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(withMetadata(
                meta("1", "[1]")))), "\"config\" is not a JSON object");
        Map<String, String> noOps = meta("1", good);
        noOps.remove("operators");
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(withMetadata(noOps))),
                "\"operators\" is missing");
    }
}
