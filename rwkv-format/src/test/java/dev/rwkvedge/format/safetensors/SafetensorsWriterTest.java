package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writing safetensors: from the rwkv.cpp reference, the file must be what the safetensors library wrote for the
 * fixture (same header bytes, same data), except that a decay recovered through log(−log w) may be a different
 * float32 preimage of the same canonical value.
 */
class SafetensorsWriterTest {
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    @ParameterizedTest
    @MethodSource("versions")
    void writtenFileMatchesTheSafetensorsLibraryFixture(String v) throws Exception {
        Path out = dir.resolve("m.safetensors");
        RwkvVersion version;
        try (ModelWeights ref = ReferenceModels.reference(v)) {
            version = RwkvVersion.detect(ref.names());
            new SafetensorsFormatProvider().write(ref, out, WriteOptions.keep());
        }
        Path fixture = ReferenceModels.safetensors(v, "fp32");
        try (MappedFile a = MappedFile.map(out); MappedFile b = MappedFile.map(fixture)) {
            SafetensorsFile ours = SafetensorsFile.parse(out, a.segment(), SafetensorsFile.Dialect.STANDARD);
            SafetensorsFile theirs = SafetensorsFile.parse(fixture, b.segment(), SafetensorsFile.Dialect.STANDARD);
            assertEquals(theirs.dataStart(), ours.dataStart());
            assertEquals(-1, a.segment().asSlice(0, ours.dataStart()).mismatch(b.segment().asSlice(0, theirs.dataStart())),
                    "header bytes (names, order, dtypes, shapes, offsets, metadata, padding) are identical");
            int preimages = 0;
            for (int i = 0; i < ours.entries().size(); i++) {
                Tensor x = ours.tensor(ours.entries().get(i));
                Tensor y = theirs.tensor(theirs.entries().get(i));
                if (x.data().mismatch(y.data()) == -1) {
                    continue;
                }
                DoubleUnaryOperator forward = forward(version, x.name());
                assertTrue(forward != null, x.name() + " differs but is not a log/exp-inverted tensor");
                for (int k = 0; k < x.elementCount(); k++) {
                    float fx = (float) forward.applyAsDouble(x.get(k));
                    float fy = (float) forward.applyAsDouble(y.get(k));
                    assertEquals(fy, fx, Math.ulp(fy), x.name() + "[" + k + "] in canonical space");
                }
                preimages++;
            }
            System.out.println("safetensors writer " + v + ": " + preimages + " tensors hold other float32 "
                    + "preimages of the same canonical values");
        }
    }

    /** The converter's transform of a tensor whose BlinkDL value is recovered by an inverse, or null. */
    private static DoubleUnaryOperator forward(RwkvVersion v, String name) {
        if (name.endsWith("att.time_decay")) {
            return switch (v) {
                case V4 -> d -> -Math.exp(d);
                case V5_1, V5_2 -> d -> Math.exp(-Math.exp(d));
                default -> null;
            };
        }
        return name.endsWith("att.time_first") && v == RwkvVersion.V5_1 ? Math::exp : null;
    }

    @Test
    void f16RequestConvertsTheLargeMatricesOnly() throws Exception {
        Path out = dir.resolve("f16.safetensors");
        try (ModelWeights ref = ReferenceModels.reference("7v0")) {
            new SafetensorsFormatProvider().write(ref, out, new WriteOptions(DType.F16));
        }
        try (MappedFile m = MappedFile.map(out)) {
            SafetensorsFile f = SafetensorsFile.parse(out, m.segment(), SafetensorsFile.Dialect.STANDARD);
            for (SafetensorsFile.Entry e : f.entries()) {
                boolean matrix = e.shape().length == 2 && !e.name().contains(".r_k");
                assertEquals(matrix ? "F16" : "F32", e.dtype(), e.name());
            }
        }
    }

    @Test
    void quantizedTensorsCannotBeWritten() throws Exception {
        Path out = dir.resolve("q.safetensors");
        try (ModelWeights q = new dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider().open(
                ReferenceModels.bin("4v0", "Q5_1"))) {
            WeightFormatException e = assertThrows(WeightFormatException.class,
                    () -> new SafetensorsFormatProvider().write(q, out, WriteOptions.keep()));
            assertMentions(e, out.toString(), "has type q5_1", "cannot store");
        }
        assertTrue(java.nio.file.Files.notExists(out));
    }

    @Test
    void quantizingIsNotAWriteOption() throws Exception {
        try (ModelWeights ref = ReferenceModels.reference("4v0")) {
            WeightFormatException e = assertThrows(WeightFormatException.class, () -> new SafetensorsFormatProvider()
                    .write(ref, dir.resolve("x.safetensors"), new WriteOptions(DType.Q8_0)));
            assertMentions(e, "cannot convert to q8_0", "quantize");
        }
    }

    @Test
    void bf16CheckpointKeepsBf16ExceptTransformedTensors() throws Exception {
        Path out = dir.resolve("bf16.safetensors");
        try (ModelWeights pth = new PthFormatProvider().open(ReferenceModels.pth("5v1", "bf16"))) {
            new SafetensorsFormatProvider().write(pth, out, WriteOptions.keep());
        }
        try (MappedFile m = MappedFile.map(out)) {
            SafetensorsFile f = SafetensorsFile.parse(out, m.segment(), SafetensorsFile.Dialect.STANDARD);
            for (SafetensorsFile.Entry e : f.entries()) {
                boolean transformed = e.name().endsWith("time_decay") || e.name().endsWith("time_first");
                assertEquals(transformed ? "F32" : "BF16", e.dtype(), e.name());
            }
            assertArrayEquals(new long[] {8}, f.entries().stream().filter(e -> e.name().equals("blocks.0.att.time_decay"))
                    .findFirst().orElseThrow().shape(), "v5.1 decay is per head, BlinkDL shape (H)");
        }
    }
}
