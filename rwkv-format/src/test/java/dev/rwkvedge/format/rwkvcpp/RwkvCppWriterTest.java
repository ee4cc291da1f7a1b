package dev.rwkvedge.format.rwkvcpp;

import dev.rwkvedge.format.io.HeapTensors;
import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.format.testing.TensorComparison;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writing rwkv.cpp files: checked against the files rwkv.cpp's own converter and quantizer produced. */
class RwkvCppWriterTest {
    private final RwkvCppFormatProvider provider = new RwkvCppFormatProvider();
    @TempDir
    Path dir;

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    /** FP32 → FP16 must give rwkv.cpp's FP16 file: same type per tensor (the FP16 rule) and the same bits. */
    @ParameterizedTest
    @MethodSource("versions")
    void f16FollowsTheConverterRuleBitForBit(String v) throws Exception {
        Path out = dir.resolve("f16.bin");
        try (ModelWeights ref = ReferenceModels.reference(v)) {
            provider.write(ref, out, new WriteOptions(DType.F16));
        }
        try (ModelWeights ours = provider.open(out); ModelWeights theirs = provider.open(ReferenceModels.bin(v, "FP16"))) {
            assertEquals(theirs.names(), ours.names());
            for (Tensor t : theirs.tensors()) {
                Tensor o = ours.get(t.name());
                assertEquals(t.dtype(), o.dtype(), t.name());
                assertEquals(-1, t.data().mismatch(o.data()), t.name());
            }
            assertEquals("f16", ours.metadata().get("rwkv-cpp.data_type"));
        }
    }

    /** Rewriting a file keeps it byte for byte, apart from the version field of the older 4v0 FP32 file. */
    @ParameterizedTest
    @MethodSource("versions")
    void rewritingKeepsTheFile(String v) throws Exception {
        for (String type : List.of("FP32", "Q5_0")) {
            Path in = ReferenceModels.bin(v, type);
            Path out = dir.resolve(type + ".bin");
            try (ModelWeights w = provider.open(in)) {
                provider.write(w, out, WriteOptions.keep());
            }
            byte[] a = Files.readAllBytes(in);
            byte[] b = Files.readAllBytes(out);
            assertEquals(101, b[4] & 0xFF);
            b[4] = a[4];
            assertEquals(-1, Arrays.mismatch(a, b), v + " " + type);
        }
    }

    /** rwkv.cpp has no BF16: kept tensors are widened to F32 exactly. */
    @Test
    void bf16IsWidenedToF32() throws Exception {
        Path out = dir.resolve("from-bf16.bin");
        try (ModelWeights pth = new PthFormatProvider().open(ReferenceModels.pth("7v0", "bf16"))) {
            provider.write(pth, out, WriteOptions.keep());
            try (ModelWeights back = provider.open(out)) {
                TensorComparison.assertSameTensors(pth, back, TensorComparison.EXACT);
                assertTrue(back.tensors().stream().allMatch(t -> t.dtype() == DType.F32));
            }
        }
    }

    @Test
    void bf16WithF16RequestFollowsTheRule() throws Exception {
        Path out = dir.resolve("from-bf16-f16.bin");
        try (ModelWeights pth = new PthFormatProvider().open(ReferenceModels.pth("6v0", "bf16"));
             ModelWeights fixture = provider.open(ReferenceModels.bin("6v0", "FP16"))) {
            provider.write(pth, out, new WriteOptions(DType.F16));
            try (ModelWeights back = provider.open(out)) {
                for (Tensor t : fixture.tensors()) {
                    assertEquals(t.dtype(), back.get(t.name()).dtype(), t.name());
                }
            }
        }
    }

    @Test
    void typesRwkvCppCannotHoldAreRefusedBeforeWriting() throws Exception {
        Path out = dir.resolve("x.bin");
        try (ModelWeights ref = ReferenceModels.reference("4v0")) {
            assertMentions(assertThrows(WeightFormatException.class,
                    () -> provider.write(ref, out, new WriteOptions(DType.BF16))), "cannot store bf16");
            ModelWeights withI8 = ref.toBuilder().put(new Tensor("blocks.0.att.key.weight.q", DType.I8,
                    new long[] {4, 4}, MemorySegment.ofArray(new byte[16]))).build();
            assertMentions(assertThrows(WeightFormatException.class, () -> provider.write(withI8, out,
                    WriteOptions.keep())), "tensor 'blocks.0.att.key.weight.q'", "has type i8");
            ModelWeights rank4 = ref.toBuilder().put(HeapTensors.f32("x", new float[16], 2, 2, 2, 2)).build();
            assertMentions(assertThrows(WeightFormatException.class, () -> provider.write(rank4, out,
                    WriteOptions.keep())), "tensor 'x'", "4 dimensions");
        }
        assertTrue(Files.notExists(out));
    }
}
