package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.testing.Bf16Tolerance;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading torch checkpoints: every fixture against the rwkv.cpp reference, and every way a file can be bad. */
class PthFormatProviderTest {
    private final PthFormatProvider provider = new PthFormatProvider();
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    /** fp32 checkpoints must give the reference tensors to within 1 ulp (FIXTURES.md round-trip table). */
    @ParameterizedTest
    @MethodSource("versions")
    void fp32CheckpointsMatchTheRwkvCppReference(String v) throws Exception {
        try (ModelWeights ref = ReferenceModels.reference(v);
             ModelWeights w = provider.open(ReferenceModels.pth(v, "fp32"))) {
            TensorComparison.Stats s = TensorComparison.assertSameTensors(ref, w, TensorComparison.ulps(1));
            System.out.println("pth " + v + " fp32: " + s);
            assertEquals("pth", w.format());
        }
    }

    /** bf16 checkpoints: within bf16 rounding as propagated through the converter's transforms (Bf16Tolerance). */
    @ParameterizedTest
    @MethodSource("versions")
    void bf16CheckpointsMatchWithinBf16Rounding(String v) throws Exception {
        try (ModelWeights ref = ReferenceModels.reference(v);
             ModelWeights w = provider.open(ReferenceModels.pth(v, "bf16"))) {
            RwkvVersion version = RwkvVersion.detect(ref.names());
            TensorComparison.Stats s = TensorComparison.assertSameTensors(ref, w, new Bf16Tolerance(version));
            System.out.println("pth " + v + " bf16: " + s);
            assertEquals("rwkv-final", w.metadata().get("pth.root"));
            assertEquals(DType.BF16, w.get("blocks.0.att.key.weight").dtype(), "raw matrices stay bf16 views");
        }
    }

    @Test
    void probeRecognisesTorchZipCheckpoints() throws Exception {
        Path p = ReferenceModels.pth("5v2", "bf16");
        assertEquals(100, provider.probe(p, WeightFormats.head(p)).confidence());
        Path bin = ReferenceModels.bin("5v2", "FP32");
        assertEquals(0, provider.probe(bin, WeightFormats.head(bin)).confidence());
        assertEquals(provider.name(), WeightFormats.detect(p).name());
    }

    @Test
    void truncatedCheckpointIsRejectedNamingTheProblem() {
        Path bad = Fixtures.require("models/bad/bad-truncated-mid-tensor.pth");
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(bad));
        assertMentions(e, bad.toString(), "truncated", "central directory");
    }

    @Test
    void forbiddenGlobalIsRefusedBeforeAnythingRuns() throws Exception {
        Path bad = Fixtures.require("models/bad/bad-forbidden-global-os-system.pth");
        long childrenBefore = ProcessHandle.current().children().count();
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(bad));
        assertMentions(e, bad.toString(), "forbidden pickle global os.system", "byte 23 of archive/data.pkl");
        assertEquals(childrenBefore, ProcessHandle.current().children().count(), "no process was started");
    }

    @Test
    void compressedEntryIsAnErrorNamingIt() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "0", 4, new int[] {2, 2}, new int[] {2, 1}).op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("deflated.pth"), pkl, Map.of("0", new byte[16]), "archive/data.pkl");
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "archive/data.pkl", "compressed", "method 8");
    }

    @Test
    void unknownOpcodeIsAnError() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', 0xff, '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("opcode.pth"), pkl, Map.of());
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "unknown or unsupported pickle opcode 0xff", "byte 3 of archive/data.pkl");
    }

    @Test
    void storageShorterThanItsElementCountIsAnError() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "0", 4, new int[] {2, 2}, new int[] {2, 1}).op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("short.pth"), pkl, Map.of("0", new byte[8]));
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "archive/data/0", "needs 16 bytes, the record holds 8");
    }

    @Test
    void missingStorageRecordIsAnError() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "7", 4, new int[] {2, 2}, new int[] {2, 1}).op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("missing.pth"), pkl, Map.of("0", new byte[16]));
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "storage '7'", "does not contain");
    }

    @Test
    void nonContiguousTensorIsAnErrorNamingIt() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "0", 4, new int[] {2, 2}, new int[] {1, 2}).op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("transposed.pth"), pkl, Map.of("0", new byte[16]));
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "tensor 'emb.weight'", "not contiguous");
    }

    @Test
    void unsupportedStorageTypeIsAnErrorNamingTheTensor() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("DoubleStorage", "0", 4, new int[] {2, 2}, new int[] {2, 1}).op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("f64.pth"), pkl, Map.of("0", new byte[32]));
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "tensor 'emb.weight'", "torch.float64");
    }

    @Test
    void legacyFormatIsRecognisedAndRefused() throws Exception {
        byte[] legacy = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9,
                0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e};
        Path f = java.nio.file.Files.write(dir.resolve("legacy.pth"), legacy);
        assertEquals(50, provider.probe(f, ByteBuffer.wrap(legacy).order(ByteOrder.LITTLE_ENDIAN)).confidence());
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> provider.open(f));
        assertMentions(e, "legacy torch.save format");
    }

    @Test
    void int64TensorsAreNarrowedToInt32() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "0", 4, new int[] {2, 2}, new int[] {2, 1})
                .unicode("step").tensor("LongStorage", "1", 2, new int[] {2}, new int[] {1}).op('u', '.').bytes();
        ByteBuffer longs = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(-3);
        Path f = TestArchives.checkpoint(dir.resolve("long.pth"), pkl, Map.of("0", new byte[16], "1", longs.array()));
        try (ModelWeights w = provider.open(f)) {
            assertEquals(DType.I32, w.get("step").dtype());
            assertEquals(7f, w.get("step").get(0));
            assertEquals(-3f, w.get("step").get(1));
        }
    }

    @Test
    void stateDictNestedUnderStateDictKeyIsFound() throws Exception {
        byte[] pkl = new TestArchives.Pickle().proto2().op('}', '(').unicode("epoch").int1(3)
                .unicode("state_dict").op('}', '(').unicode("emb.weight")
                .tensor("FloatStorage", "0", 4, new int[] {2, 2}, new int[] {2, 1}).op('u').op('u', '.').bytes();
        Path f = TestArchives.checkpoint(dir.resolve("lightning.pth"), pkl, Map.of("0", new byte[16]));
        try (ModelWeights w = provider.open(f)) {
            assertTrue(w.contains("emb.weight"));
        }
    }
}
