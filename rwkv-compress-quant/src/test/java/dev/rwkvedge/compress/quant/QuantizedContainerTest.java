package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantized models through the {@code rwkv-edge} container: every tensor comes back with its bytes, dtype and shape,
 * INT8 matrices with their scales attached, the quantize metadata kept, and the same logits; formats that cannot hold
 * the result say so naming the tensor.
 */
class QuantizedContainerTest {
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

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-rwkv-5v2-730K-FP32.bin,int8", "tiny-rwkv-5v2-730K-FP32.bin,q8_0",
            "tiny-rwkv-6v0-1m-FP32.bin,int8", "tiny-rwkv-7v0-834K-FP32.bin,q8_0", "tiny-rwkv-5v2-730K-FP32.bin,q4_0",
            "tiny-rwkv-4v0-660K-FP32.bin,q4_1", "tiny-rwkv-6v0-1m-FP32.bin,q5_0", "tiny-rwkv-7v0-834K-FP32.bin,q5_1"})
    void roundTripKeepsBytesScalesMetadataAndLogits(String file, String dtype) throws IOException {
        Path out = dir.resolve("q.rwkv-edge");
        try (ModelWeights w = Tiny.open(file)) {
            ModelWeights q = Tiny.quantize(w, Map.of("dtype", dtype, "exclude", List.of("emb.weight"), "min-elements", 0),
                    backend).weights();
            WeightFormats.registry().forName("rwkv-edge").write(q, out, WriteOptions.keep());
            try (ModelWeights back = WeightFormats.open(out)) {
                assertEquals("rwkv-edge", back.format());
                assertEquals(List.copyOf(q.names()), List.copyOf(back.names()));
                int scaled = 0;
                for (Tensor t : q.tensors()) {
                    Tensor b = back.get(t.name());
                    assertEquals(t.dtype(), b.dtype(), t.name());
                    assertArrayEquals(t.shape(), b.shape(), t.name());
                    assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE), b.data().toArray(ValueLayout.JAVA_BYTE),
                            t.name());
                    assertEquals(t.hasRowScale(), b.hasRowScale(), t.name());
                    if (b.hasRowScale()) {
                        scaled++;
                        assertArrayEquals(t.toFloatArray(), b.toFloatArray(), 0f, t.name());
                    }
                }
                assertEquals(dtype.equals("int8"), scaled > 0, "int8 matrices come back row-scaled");
                assertEquals(DType.parse(dtype.equals("int8") ? "i8" : dtype), back.get("head.weight").dtype());
                assertEquals(q.metadata().get(QuantizeCompressor.OPERATORS_KEY),
                        back.metadata().get(QuantizeCompressor.OPERATORS_KEY));
                assertEquals("quantize", Json.parseObject(back.metadata().get(QuantizeCompressor.MANIFEST_KEY))
                        .get("compressor"));
                assertTrue(Files.size(out) < w.byteSize() / 2, "file " + Files.size(out) + " vs " + w.byteSize());

                int[] tokens = Tiny.tokens(file, 500, 16);
                try (RwkvModel a = RwkvModel.of(q, backend, false); RwkvModel b = RwkvModel.of(back, backend, false)) {
                    float[][] la = a.newSession().evalSequenceAllLogits(tokens);
                    float[][] lb = b.newSession().evalSequenceAllLogits(tokens);
                    for (int t = 0; t < tokens.length; t++) {
                        assertArrayEquals(la[t], lb[t], 0f, "token " + t);
                    }
                }
            }
        }
    }

    /**
     * The rwkv.cpp format holds the ggml block types: a 4-bit model written as {@code .bin} (everything rwkv.cpp would
     * quantize, so no INT8 fallback) reads back with the same dtypes and bytes, and the same logits.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"q4_0", "q4_1"})
    void fourBitModelsRoundTripThroughTheRwkvCppFormat(String dtype) throws IOException {
        Path out = dir.resolve("q.bin");
        try (ModelWeights w = Tiny.open("tiny-rwkv-5v2-730K-FP32.bin")) {
            ModelWeights q = Tiny.quantize(w, Map.of("dtype", dtype, "exclude", RwkvCppQuantizedFixturesTest.RWKV_CPP_EXCLUDE,
                    "min-elements", 0), backend).weights();
            WeightFormats.registry().forName("rwkv-cpp").write(q, out, WriteOptions.keep());
            try (ModelWeights back = WeightFormats.open(out)) {
                assertEquals("rwkv-cpp", back.format());
                assertEquals(List.copyOf(q.names()), List.copyOf(back.names()));
                for (Tensor t : q.tensors()) {
                    assertEquals(t.dtype(), back.get(t.name()).dtype(), t.name());
                    assertArrayEquals(t.data().toArray(ValueLayout.JAVA_BYTE),
                            back.get(t.name()).data().toArray(ValueLayout.JAVA_BYTE), t.name());
                }
                assertEquals(DType.parse(dtype), back.get("blocks.3.ffn.key.weight").dtype());
                int[] tokens = Tiny.tokens("tiny-rwkv-5v2-730K-FP32.bin", 500, 16);
                try (RwkvModel a = RwkvModel.of(q, backend, false); RwkvModel b = RwkvModel.of(back, backend, false)) {
                    float[][] la = a.newSession().evalSequenceAllLogits(tokens);
                    float[][] lb = b.newSession().evalSequenceAllLogits(tokens);
                    for (int t = 0; t < tokens.length; t++) {
                        assertArrayEquals(la[t], lb[t], 0f, "token " + t);
                    }
                }
            }
        }
    }

    @Test
    void formatsThatCannotHoldTheResultNameTheTensor() throws IOException {
        try (ModelWeights w = Tiny.open("tiny-rwkv-6v0-1m-FP32.bin")) {
            ModelWeights q = Tiny.quantize(w, Map.of("dtype", "int8", "min-elements", 0), backend).weights();
            WeightFormatException cpp = assertThrows(WeightFormatException.class, () -> WeightFormats.registry()
                    .forName("rwkv-cpp").write(q, dir.resolve("q.bin"), WriteOptions.keep()));
            assertTrue(cpp.getMessage().contains("i8"), cpp.getMessage());
            // BlinkDL layouts store the v6 LoRA transposed: per-row INT8 cannot be transposed without its scales.
            WeightFormatException st = assertThrows(WeightFormatException.class, () -> WeightFormats.registry()
                    .forName("safetensors").write(q, dir.resolve("q.safetensors"), WriteOptions.keep()));
            assertTrue(st.getMessage().contains("time_maa_w1") && st.getMessage().contains("per-row INT8"),
                    st.getMessage());
            assertFalse(Files.exists(dir.resolve("q.safetensors")));
        }
    }
}
