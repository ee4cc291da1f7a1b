package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Writing torch checkpoints: read back exactly, laid out like torch 1.13, and valid for an independent zip reader. */
class PthWriterTest {
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void writtenCheckpointReadsBackAsTheReference(String v) throws Exception {
        Path out = dir.resolve("model-" + v + ".pth");
        try (ModelWeights ref = ReferenceModels.reference(v)) {
            new PthFormatProvider().write(ref, out, WriteOptions.keep());
            try (ModelWeights back = new PthFormatProvider().open(out)) {
                TensorComparison.assertSameTensors(ref, back, TensorComparison.EXACT);
                assertEquals("model-" + v, back.metadata().get("pth.root"));
            }
        }
    }

    /** The BlinkDL state dict written from the rwkv.cpp file has the fixture checkpoint's names, order and shapes. */
    @ParameterizedTest
    @MethodSource("versions")
    void stateDictHasTheFixtureLayout(String v) throws Exception {
        Path out = dir.resolve("m.pth");
        try (ModelWeights ref = ReferenceModels.reference(v)) {
            new PthFormatProvider().write(ref, out, WriteOptions.keep());
        }
        assertEquals(stateDictShapes(ReferenceModels.pth(v, "fp32")).size(), stateDictShapes(out).size());
        assertEquals(new java.util.TreeMap<>(stateDictShapes(ReferenceModels.pth(v, "fp32"))),
                new java.util.TreeMap<>(stateDictShapes(out)));
    }

    /** Key to shape of the raw pickle of a checkpoint, read with the unpickler alone (no layout conversion). */
    private static java.util.Map<String, String> stateDictShapes(Path pth) throws Exception {
        try (var mapped = dev.rwkvedge.format.io.MappedFile.map(pth)) {
            ZipArchive zip = ZipArchive.read(pth, mapped.segment());
            ZipArchive.Entry pkl = zip.entries().stream().filter(e -> e.name().endsWith("/data.pkl")).findFirst().orElseThrow();
            Object top = new Unpickler(pth, pkl.name(), pkl.dataOffset(), zip.data(pkl),
                    (key, type, numel, at) -> new PickleValues.Storage(key, type, numel, MemorySegment.NULL, 0)).load();
            java.util.Map<String, String> shapes = new java.util.LinkedHashMap<>();
            ((java.util.Map<?, ?>) top).forEach((k, t) -> shapes.put((String) k,
                    java.util.Arrays.toString(((PickleValues.TensorRef) t).size())));
            return shapes;
        }
    }

    @Test
    void independentZipReaderAcceptsItAndDataIsAligned() throws Exception {
        Path out = dir.resolve("tiny.pth");
        try (ModelWeights ref = ReferenceModels.reference("5v2")) {
            new PthFormatProvider().write(ref, out, WriteOptions.keep());
        }
        assertZipIsValidAndAligned(out, "tiny");
    }

    @Test
    void zip64RecordsAreWrittenAndRead() throws Exception {
        Path out = dir.resolve("z64.pth");
        try (ModelWeights ref = ReferenceModels.reference("7v0")) {
            PthWriter.write(ref, out, WriteOptions.keep(), true);
            try (ModelWeights back = new PthFormatProvider().open(out)) {
                TensorComparison.assertSameTensors(ref, back, TensorComparison.EXACT);
            }
        }
        assertZipIsValidAndAligned(out, "z64");
    }

    /** java.util.zip checks every entry's CRC-32 and sizes while reading; storages must start on 64 bytes. */
    private static void assertZipIsValidAndAligned(Path file, String root) throws Exception {
        List<String> names = new ArrayList<>();
        try (ZipFile z = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) {
                names.add(e.getName());
                assertEquals(ZipEntry.STORED, e.getMethod());
                try (InputStream in = z.getInputStream(e)) {
                    assertEquals(e.getSize(), in.readAllBytes().length);
                }
            }
            try (InputStream in = z.getInputStream(z.getEntry(root + "/version"))) {
                assertArrayEquals("3\n".getBytes(), in.readAllBytes());
            }
        }
        assertEquals(root + "/data.pkl", names.getFirst());
        try (var mapped = dev.rwkvedge.format.io.MappedFile.map(file)) {
            for (ZipArchive.Entry e : ZipArchive.read(file, mapped.segment()).entries()) {
                assertEquals(0, e.dataOffset() % 64, e.name() + " data offset");
            }
        }
    }

    @Test
    void bf16RequestConvertsLargeMatricesOnly() throws Exception {
        Path out = dir.resolve("bf16.pth");
        try (ModelWeights ref = ReferenceModels.reference("6v0")) {
            new PthFormatProvider().write(ref, out, new WriteOptions(DType.BF16));
        }
        try (ModelWeights back = new PthFormatProvider().open(out)) {
            assertEquals(DType.BF16, back.get("blocks.3.att.key.weight").dtype());
            assertEquals(DType.BF16, back.get("emb.weight").dtype());
            assertEquals(DType.F32, back.get("blocks.3.att.time_maa_w1").dtype(), ".time_ tensors keep f32");
            assertEquals(DType.F32, back.get("blocks.3.ln1.weight").dtype());
            Tensor t = back.get("blocks.3.att.time_decay");
            assertEquals(DType.F32, t.dtype());
        }
    }

    @Test
    void rootFolderIsTheFileStem() {
        assertEquals("RWKV-x060-World-1B6", PthWriter.root(Path.of("/m/RWKV-x060-World-1B6.pth")));
        assertEquals("a_b", PthWriter.root(Path.of("a b.pth")));
        assertEquals(".pth", PthWriter.root(Path.of(".pth")));
    }
}
