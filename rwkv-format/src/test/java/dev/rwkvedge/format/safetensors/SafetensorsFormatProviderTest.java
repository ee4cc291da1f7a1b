package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.format.testing.Bf16Tolerance;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading safetensors: every fixture and the Hugging Face model against the reference, and every bad header. */
class SafetensorsFormatProviderTest {
    private final SafetensorsFormatProvider provider = new SafetensorsFormatProvider();
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void fp32FilesMatchTheRwkvCppReference(String v) throws Exception {
        try (ModelWeights ref = ReferenceModels.reference(v);
             ModelWeights w = provider.open(ReferenceModels.safetensors(v, "fp32"))) {
            System.out.println("safetensors " + v + " fp32: "
                    + TensorComparison.assertSameTensors(ref, w, TensorComparison.ulps(1)));
            assertEquals("pt", w.metadata().get("safetensors.format"));
        }
    }

    @ParameterizedTest
    @MethodSource("versions")
    void bf16FilesMatchWithinBf16Rounding(String v) throws Exception {
        try (ModelWeights ref = ReferenceModels.reference(v);
             ModelWeights w = provider.open(ReferenceModels.safetensors(v, "bf16"))) {
            System.out.println("safetensors " + v + " bf16: " + TensorComparison.assertSameTensors(ref, w,
                    new Bf16Tolerance(RwkvVersion.detect(ref.names()))));
        }
    }

    @Test
    void huggingFaceModelMatchesTheReference() throws Exception {
        try (ModelWeights ref = ReferenceModels.reference("4v0");
             ModelWeights w = provider.open(Fixtures.require("models/hf-tiny-rwkv-4v0/model.safetensors"))) {
            System.out.println("safetensors hf 4v0: " + TensorComparison.assertSameTensors(ref, w, TensorComparison.ulps(1)));
            assertEquals("hf", w.metadata().get("source.layout"));
        }
    }

    @Test
    void huggingFaceConfigThatDisagreesIsReported() throws Exception {
        Path model = Fixtures.require("models/hf-tiny-rwkv-4v0/model.safetensors");
        Path link = Files.createSymbolicLink(dir.resolve("model.safetensors"), model);
        String config = Files.readString(model.resolveSibling("config.json")).replace("\"hidden_size\": 128",
                "\"hidden_size\": 64");
        Files.writeString(dir.resolve("config.json"), config);
        try {
            WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(link));
            assertMentions(e, dir.resolve("config.json").toString(), "hidden_size is 64", "has 128");
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void probeConfidence() throws Exception {
        Path st = ReferenceModels.safetensors("6v0", "bf16");
        assertEquals(95, provider.probe(st, WeightFormats.head(st)).confidence());
        assertEquals(provider.name(), WeightFormats.detect(st).name());
        Path bad = Fixtures.require("models/bad/bad-header-len-2pow40.safetensors");
        assertEquals(30, provider.probe(bad, WeightFormats.head(bad)).confidence());
        Path pth = ReferenceModels.pth("6v0", "bf16");
        assertEquals(0, provider.probe(pth, WeightFormats.head(pth)).confidence());
    }

    @Test
    void headerLengthOfOneTebibyteIsRejectedWithoutAllocating() {
        Path bad = Fixtures.require("models/bad/bad-header-len-2pow40.safetensors");
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(bad));
        assertMentions(e, bad.toString(), "header length 1099511627776", "larger than the rest of the file (120 bytes)");
        assertEquals(0, e.offset());
    }

    /** A header length that fits a (sparse) 200 MB file but exceeds the 100 MB limit is refused before reading it. */
    @Test
    void headerOverTheLimitIsRejectedBeforeReading() throws IOException {
        Path f = dir.resolve("huge-header.safetensors");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putLong(150_000_000L).put((byte) '{').flip());
            ch.write(ByteBuffer.wrap(new byte[] {'}'}), 200_000_000L);
        }
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, f.toString(), "header length 150000000 exceeds the 100000000-byte limit");
    }

    @Test
    void truncatedDataNamesTheTensorAndTheProblem() throws IOException {
        byte[] full = Files.readAllBytes(ReferenceModels.safetensors("7v0", "bf16"));
        Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(full, full.length - 1000));
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(cut));
        assertMentions(e, cut.toString(), "tensor 'head.weight'", "run past the end of the data area", "truncated");
    }

    @Test
    void truncatedHeaderIsReported() throws IOException {
        byte[] full = Files.readAllBytes(ReferenceModels.safetensors("7v0", "bf16"));
        Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(full, 1000));
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(cut)), cut.toString(),
                "larger than the rest of the file", "truncated");
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[5]);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(tiny)), "too short");
    }

    /** Writes a header (padded to 8) and {@code dataBytes} bytes of data. */
    private Path handmade(String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int n = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + n + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(h);
        while (b.position() < 8 + n) {
            b.put((byte) ' ');
        }
        return Files.write(dir.resolve(name), b.array());
    }

    @Test
    void unsupportedDtypeIsNamed() throws IOException {
        Path f = handmade("f64.safetensors", "{\"emb.weight\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(f)), "tensor 'emb.weight'",
                "dtype F64 is not supported");
        Path g = handmade("f7.safetensors", "{\"x\":{\"dtype\":\"F7\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(g)), "tensor 'x'",
                "unknown dtype \"F7\"");
        Path q = handmade("q.safetensors", "{\"x\":{\"dtype\":\"Q8_0\",\"shape\":[32],\"data_offsets\":[0,34]}}", 34);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(q)), "unknown dtype \"Q8_0\"",
                "format rwkv-edge");
    }

    @Test
    void offsetsMustTileTheDataArea() throws IOException {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%d,%d]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%d,%d]}}";
        Path overlap = handmade("overlap.safetensors", String.format(two, 0, 16, 8, 24), 24);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(overlap)), "tensor 'b'", "overlap");
        Path hole = handmade("hole.safetensors", String.format(two, 0, 16, 24, 40), 40);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(hole)), "tensor 'b'",
                "hole of 8 bytes");
        Path trailing = handmade("trailing.safetensors", String.format(two, 0, 16, 16, 32), 40);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(trailing)),
                "8 bytes follow the last tensor");
        Path size = handmade("size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(size)), "tensor 'a'",
                "needs 12 bytes but data_offsets [0, 8] span 8");
        Path backwards = handmade("back.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(backwards)), "end before they begin");
    }

    @Test
    void malformedHeadersAreReported() throws IOException {
        Path notJson = handmade("nj.safetensors", "{\"a\": [1,}", 0);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(notJson)), "not valid JSON");
        Path meta = handmade("meta.safetensors", "{\"__metadata__\":{\"format\":1}}", 0);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(meta)), "is not a string");
        Path noRwkv = handmade("other.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertMentions(assertThrows(WeightFormatException.class, () -> provider.open(noRwkv)), "not an RWKV state dict");
    }
}
