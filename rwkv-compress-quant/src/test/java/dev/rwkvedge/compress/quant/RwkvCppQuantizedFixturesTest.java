package dev.rwkvedge.compress.quant;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Tensor;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code quantize} step against rwkv.cpp's own quantizer: the Q5_0 and Q5_1 tiny models in the shared fixtures
 * are files of rwkv.cpp's test suite, made by {@code rwkv_quantize_model_file} (ggml's reference quantizers) from the
 * FP32 files beside them (from the FP16 ones, thousands of blocks would differ: the quantizer widens FP16 to float
 * first). Quantizing the same FP32 source tensors with the step, configured to select what rwkv.cpp selects, must give
 * every block of every quantized tensor byte for byte, and written as an rwkv.cpp file, the fixture file itself.
 *
 * <p>rwkv.cpp quantizes only 2-D tensors, never {@code emb.weight} or {@code head.weight}, and (newer versions) not
 * the v7 LoRAs {@code att.{w,a,v,g}{1,2}} nor {@code att.r_k}. The step's own rule already keeps the per-channel
 * parameters; {@link #RWKV_CPP_EXCLUDE} adds the rest, and the test checks that the quantized set is the fixture's.
 *
 * <p>One file differs in a few blocks, understood: {@code tiny-rwkv-6v0-1m-Q5_0.bin} was made by a build of rwkv.cpp
 * whose compiler fused {@code x·id + 16.5f} of {@code quantize_row_q5_0_ref} into one FMA (a single rounding); the
 * v6 weights are exactly bfloat16, so many {@code x/d} land exactly on a half step, where the fused and the unfused
 * evaluation truncate to neighbouring codes. Every differing block there must have the same scale and differ only in
 * codes that the fused evaluation, computed here, reproduces; {@code tiny-rwkv-7v0-834K-Q5_0.bin}, whose weights are
 * bfloat16 too and hit the same ties, matches the unfused evaluation (ggml's C source semantics, what
 * {@link GgmlBlocks#quantizeBlock} implements) in every block.
 */
class RwkvCppQuantizedFixturesTest {
    static final List<String> RWKV_CPP_EXCLUDE = List.of("emb.weight", "head.weight", "blocks.*.att.{w,a,v,g}{1,2}",
            "blocks.*.att.time_maa_w2");
    private static KernelBackend backend;
    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @ParameterizedTest(name = "{0}-{1}")
    @CsvSource({"tiny-rwkv-4v0-660K,Q5_0,0", "tiny-rwkv-4v0-660K,Q5_1,0", "tiny-rwkv-5v1-730K,Q5_0,0",
            "tiny-rwkv-5v1-730K,Q5_1,0", "tiny-rwkv-5v2-730K,Q5_0,0", "tiny-rwkv-5v2-730K,Q5_1,0",
            "tiny-rwkv-6v0-1m,Q5_0,113", "tiny-rwkv-6v0-1m,Q5_1,0", "tiny-rwkv-7v0-834K,Q5_0,0",
            "tiny-rwkv-7v0-834K,Q5_1,0"})
    void quantizeStepReproducesRwkvCppBlocksAndFile(String model, String type, int fusedBlocks) throws IOException {
        Path fixture = Fixtures.require("models/tiny/" + model + "-" + type + ".bin");
        DType dtype = DType.parse(type);
        try (ModelWeights source = Tiny.open(model + "-FP32.bin"); ModelWeights want = WeightFormats.open(fixture)) {
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("dtype", dtype.id());
            params.put("exclude", RWKV_CPP_EXCLUDE);
            params.put("min-elements", 0);
            ModelWeights got = Tiny.quantize(source, params, backend).weights();

            assertEquals(List.copyOf(want.names()), List.copyOf(got.names()), "same tensors in the same order");
            long blocks = 0;
            long differingBytes = 0;
            List<String> differing = new ArrayList<>();
            for (Tensor w : want.tensors()) {
                Tensor g = got.get(w.name());
                assertEquals(w.dtype(), g.dtype(), w.name() + ": rwkv.cpp stored it as " + w.dtype());
                assertArrayEquals(w.shape(), g.shape(), w.name());
                if (!w.dtype().isQuantized()) {
                    assertArrayEquals(bytes(w), bytes(g), w.name() + " is not quantized and must be untouched");
                    continue;
                }
                byte[] wb = bytes(w);
                byte[] gb = bytes(g);
                float[] x = source.get(w.name()).toFloatArray();
                int bb = dtype.blockBytes();
                for (int b = 0; b < wb.length / bb; b++) {
                    blocks++;
                    if (!Arrays.equals(wb, b * bb, (b + 1) * bb, gb, b * bb, (b + 1) * bb)) {
                        differing.add(w.name() + " block " + b);
                        assertTrue(fusedBlocks > 0, w.name() + " block " + b + " differs from rwkv.cpp's");
                        assertExplainedByFusedMultiplyAdd(w.name(), b, x, wb, gb);
                        for (int i = b * bb; i < (b + 1) * bb; i++) {
                            differingBytes += wb[i] != gb[i] ? 1 : 0;
                        }
                    }
                }
            }
            System.out.printf("%s-%s: %d blocks, %d identical to rwkv.cpp's, %d differ (%d bytes) as a fused multiply-add "
                    + "explains%n", model, type, blocks, blocks - differing.size(), differing.size(), differingBytes);
            assertEquals(fusedBlocks, differing.size(), "differing blocks: " + differing);

            Path written = dir.resolve(model + "-" + type + ".bin");
            WeightFormats.registry().forName("rwkv-cpp").write(got, written, WriteOptions.keep());
            byte[] file = Files.readAllBytes(written);
            byte[] ref = Files.readAllBytes(fixture);
            assertEquals(ref.length, file.length, "file size");
            if (fusedBlocks == 0) {
                assertArrayEquals(ref, file, "the written rwkv.cpp file is rwkv.cpp's file byte for byte");
            } else {
                long fileBytes = 0;
                for (int i = 0; i < ref.length; i++) {
                    fileBytes += ref[i] != file[i] ? 1 : 0;
                }
                assertEquals(differingBytes, fileBytes, "the file differs only where those blocks do");
            }
        }
    }

    /**
     * A Q5_0 block of {@code x[32b..32b+32)} that rwkv.cpp's file ({@code want}) and the step ({@code got}) disagree
     * on: d and every code must match except codes where truncating the fused {@code fma(x, id, 16.5)} gives
     * rwkv.cpp's code and truncating the separately rounded {@code x·id + 16.5} gives ours.
     */
    private static void assertExplainedByFusedMultiplyAdd(String name, int b, float[] x, byte[] want, byte[] got) {
        int bb = DType.Q5_0.blockBytes();
        String where = name + " block " + b;
        assertEquals(want[b * bb], got[b * bb], where + ": d");
        assertEquals(want[b * bb + 1], got[b * bb + 1], where + ": d");
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[32 * b + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1 / d : 0;
        int[] qw = new int[32];
        int[] qg = new int[32];
        GgmlBlocks.blockQuants(DType.Q5_0, MemorySegment.ofArray(want), (long) b * bb, qw);
        GgmlBlocks.blockQuants(DType.Q5_0, MemorySegment.ofArray(got), (long) b * bb, qg);
        int explained = 0;
        for (int j = 0; j < 32; j++) {
            if (qw[j] == qg[j]) {
                continue;
            }
            float v = x[32 * b + j];
            int fused = Math.min(31, (int) Math.fma(v, id, 16.5f)) - 16;
            int separate = Math.min(31, (int) (v * id + 16.5f)) - 16;
            assertEquals(fused, qw[j], where + " element " + j + " (x = " + v + "): rwkv.cpp's code is the fused one");
            assertEquals(separate, qg[j], where + " element " + j + ": ours is the separately rounded one");
            explained++;
        }
        assertTrue(explained > 0, where + ": differs outside the codes");
    }

    private static byte[] bytes(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }
}
