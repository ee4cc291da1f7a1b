package dev.rwkvedge.format.blinkdl;

import dev.rwkvedge.format.io.HeapTensors;
import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.format.safetensors.SafetensorsFile;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The layout conversion on its own: against the fixtures' BlinkDL tensors, and on small synthetic state dicts. */
class BlinkDlLayoutTest {
    private static final Path SRC = Path.of("synthetic.pth");

    static List<String> versions() {
        return ReferenceModels.VERSIONS;
    }

    /**
     * fromCanonical of the rwkv.cpp file must give the BlinkDL state dict of the fixture (read raw from its fp32
     * safetensors): same names and shapes; same values, except that a log/exp-inverted value may be another float32
     * preimage of the same canonical value (checked by mapping both forward; the raw difference is reported).
     */
    @ParameterizedTest
    @MethodSource("versions")
    void fromCanonicalGivesTheFixtureStateDict(String v) throws Exception {
        Path st = ReferenceModels.safetensors(v, "fp32");
        try (ModelWeights ref = ReferenceModels.reference(v); MappedFile m = MappedFile.map(st)) {
            SafetensorsFile f = SafetensorsFile.parse(st, m.segment(), SafetensorsFile.Dialect.STANDARD);
            Map<String, Tensor> expected = new TreeMap<>();
            f.entries().forEach(e -> expected.put(e.name(), f.tensor(e)));
            Map<String, Tensor> actual = new TreeMap<>();
            BlinkDlLayout.fromCanonical(ref.tensors(), ref.source()).forEach(t -> actual.put(t.name(), t));
            assertEquals(expected.keySet(), actual.keySet());
            RwkvVersion version = RwkvVersion.detect(ref.names());
            double maxRaw = 0;
            for (Tensor e : expected.values()) {
                Tensor a = actual.get(e.name());
                assertArrayEquals(e.shape(), a.shape(), e.name());
                boolean inverted = e.name().endsWith("att.time_decay") && version.compareTo(RwkvVersion.V6) < 0
                        || e.name().endsWith("att.time_first") && version == RwkvVersion.V5_1;
                for (int i = 0; i < e.elementCount(); i++) {
                    float x = e.get(i);
                    float y = a.get(i);
                    if (!inverted) {
                        assertEquals(Float.floatToIntBits(x), Float.floatToIntBits(y), e.name() + "[" + i + "]");
                    } else {
                        maxRaw = Math.max(maxRaw, Math.abs(x - y));
                        List<Tensor> fx = BlinkDlLayout.toCanonical(single(ref, e.name(), x), SRC);
                        List<Tensor> fy = BlinkDlLayout.toCanonical(single(ref, e.name(), y), SRC);
                        assertEquals(fx.getLast().get(0), fy.getLast().get(0), e.name() + "[" + i + "] in canonical space");
                    }
                }
            }
            System.out.println("fromCanonical " + v + ": max raw difference of inverted values " + maxRaw);
        }
    }

    /** A one-element state dict of the same version holding value {@code x} under {@code name}. */
    private static Map<String, Tensor> single(ModelWeights ref, String name, float x) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        RwkvVersion v = RwkvVersion.detect(ref.names());
        if (v != RwkvVersion.V4) {
            m.put("blocks.0.att.ln_x.weight", HeapTensors.f32("blocks.0.att.ln_x.weight", new float[1], 1));
        }
        if (v == RwkvVersion.V5_2) {
            m.put("blocks.0.att.gate.weight", HeapTensors.f32("blocks.0.att.gate.weight", new float[1], 1, 1));
        }
        m.put(name, HeapTensors.f32(name, new float[] {x}, v == RwkvVersion.V5_2 ? new long[] {1, 1} : new long[] {1}));
        return m;
    }

    private static Tensor seq(String name, int n, long... shape) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return HeapTensors.f32(name, v, shape);
    }

    private static Tensor bf16(String name, long... shape) {
        int n = (int) Tensor.count(shape);
        MemorySegment s = MemorySegment.ofArray(new byte[2 * n]);
        for (int i = 0; i < n; i++) {
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i,
                    dev.rwkvedge.tensor.Half.floatToBf16(i));
        }
        return new Tensor(name, DType.BF16, shape, s);
    }

    @Test
    void v7TokenShiftIsStackedInRwkvagOrderAndSplitBack() {
        int c = 4;
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("emb.weight", seq("emb.weight", 8, 2, c));
        String[] parts = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
        for (int p = 5; p >= 0; p--) {
            float[] v = new float[c];
            java.util.Arrays.fill(v, p);
            sd.put("blocks.0.att." + parts[p], HeapTensors.f32("blocks.0.att." + parts[p], v, 1, 1, c));
        }
        sd.put("blocks.0.att.k_k", seq("blocks.0.att.k_k", c, 1, 1, c));
        sd.put("blocks.0.att.r_k", seq("blocks.0.att.r_k", c, 1, c));
        sd.put("blocks.0.att.w1", bf16("blocks.0.att.w1", c, 2));
        List<Tensor> canon = BlinkDlLayout.toCanonical(sd, SRC);
        assertEquals(List.of("emb.weight", "blocks.0.att.x_rwkvag", "blocks.0.att.k_k", "blocks.0.att.r_k",
                "blocks.0.att.w1"), canon.stream().map(Tensor::name).toList(), "stacked where the first part was");
        Tensor x = canon.get(1);
        assertArrayEquals(new long[] {6, 1, c}, x.shape());
        for (int p = 0; p < 6; p++) {
            assertEquals(p, x.get((long) p * c), "row " + p + " is " + parts[p]);
        }
        Tensor w1 = canon.get(4);
        assertEquals(DType.BF16, w1.dtype(), "a transpose keeps bf16");
        assertArrayEquals(new long[] {2, c}, w1.shape());
        assertEquals(2 * 1 + 1, w1.get(c + 1), "w1ᵀ[1][1] = w1[1][1] = 3");
        assertEquals(2 * 3 + 1, w1.get(c + 3), "w1ᵀ[1][3] = w1[3][1] = 7");
        List<Tensor> back = BlinkDlLayout.fromCanonical(canon, SRC);
        assertEquals(List.of("emb.weight", "blocks.0.att.x_r", "blocks.0.att.x_w", "blocks.0.att.x_k", "blocks.0.att.x_v",
                "blocks.0.att.x_a", "blocks.0.att.x_g", "blocks.0.att.k_k", "blocks.0.att.r_k", "blocks.0.att.w1"),
                back.stream().map(Tensor::name).toList());
        assertArrayEquals(new long[] {1, 1, c}, back.get(3).shape());
        assertEquals(2f, back.get(3).get(0), "x_k");
        assertArrayEquals(sd.get("blocks.0.att.w1").toFloatArray(), back.get(9).toFloatArray());
    }

    @Test
    void v7NeedsAllSixTokenShiftVectors() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("blocks.0.att.k_k", seq("blocks.0.att.k_k", 4, 1, 1, 4));
        sd.put("blocks.0.att.x_r", seq("blocks.0.att.x_r", 4, 1, 1, 4));
        assertMentions(assertThrows(WeightFormatException.class, () -> BlinkDlLayout.toCanonical(sd, SRC)),
                "tensor 'blocks.0.att.x_w'", "missing");
    }

    @Test
    void v6MixLoraSwapsItsLastTwoAxesAndDecayTakesTheHeadCount() {
        int d = 2;
        int c = 3;
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("blocks.0.att.time_maa_x", seq("blocks.0.att.time_maa_x", 6, 1, 1, 6));
        sd.put("blocks.0.att.time_maa_w2", seq("blocks.0.att.time_maa_w2", 5 * d * c, 5, d, c));
        sd.put("blocks.0.att.time_decay", seq("blocks.0.att.time_decay", 6, 1, 1, 6));
        sd.put("blocks.0.att.time_faaaa", seq("blocks.0.att.time_faaaa", 6, 2, 3));
        List<Tensor> canon = BlinkDlLayout.toCanonical(sd, SRC);
        assertArrayEquals(new long[] {6}, canon.get(0).shape(), "time_ vectors are squeezed");
        Tensor w2 = canon.get(1);
        assertArrayEquals(new long[] {5, c, d}, w2.shape());
        for (int b = 0; b < 5; b++) {
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < d; j++) {
                    assertEquals(b * d * c + j * c + i, w2.get(((long) b * c + i) * d + j));
                }
            }
        }
        assertArrayEquals(new long[] {2, 3, 1}, canon.get(2).shape(), "decay (H,S,1) with H from time_faaaa");
        assertArrayEquals(new long[] {2, 3, 1}, canon.get(3).shape());
        assertEquals(5f, canon.get(2).get(5), "v6 decay values are raw");
    }

    @Test
    void v51DecayIsPerHeadAndTransformed() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("blocks.0.att.ln_x.weight", seq("blocks.0.att.ln_x.weight", 4, 4));
        sd.put("blocks.0.att.time_decay", HeapTensors.f32("blocks.0.att.time_decay", new float[] {0f, 1f}, 2));
        sd.put("blocks.0.att.time_first", HeapTensors.f32("blocks.0.att.time_first", new float[] {0f, -3f}, 2));
        List<Tensor> canon = BlinkDlLayout.toCanonical(sd, SRC);
        assertArrayEquals(new long[] {2, 1, 1}, canon.get(1).shape());
        assertEquals((float) Math.exp(-Math.exp(1)), canon.get(1).get(1));
        assertEquals((float) Math.exp(-3), canon.get(2).get(1));
        assertEquals(DType.F32, canon.get(1).dtype());
    }

    @Test
    void gateWithPerHeadDecayIsNotARwkvCppLayout() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("blocks.0.att.ln_x.weight", seq("blocks.0.att.ln_x.weight", 4, 4));
        sd.put("blocks.0.att.gate.weight", seq("blocks.0.att.gate.weight", 16, 4, 4));
        sd.put("blocks.0.att.time_decay", seq("blocks.0.att.time_decay", 2, 2));
        assertMentions(assertThrows(WeightFormatException.class, () -> BlinkDlLayout.toCanonical(sd, SRC)),
                "tensor 'blocks.0.att.time_decay'", "ChatRWKV's '5.1'");
    }

    /** Big matrices and reshaped vectors are views of the source memory, not copies. */
    @Test
    void untransformedTensorsStayViews() throws Exception {
        try (ModelWeights w = new dev.rwkvedge.format.pth.PthFormatProvider().open(ReferenceModels.pth("5v2", "bf16"))) {
            Tensor key = w.get("blocks.1.att.key.weight");
            Tensor mix = w.get("blocks.1.att.time_mix_k");
            assertEquals(true, key.data().isNative(), "mapped, not on the heap");
            assertEquals(true, mix.data().isNative());
            assertArrayEquals(new long[] {64}, mix.shape());
            assertEquals(false, w.get("blocks.1.att.time_decay").data().isNative(), "transformed: a heap F32 copy");
        }
    }

    @Test
    void quantizedLoraCannotBeConvertedBack() {
        Tensor q = new Tensor("blocks.0.att.w1", DType.Q8_0, new long[] {2, 32}, MemorySegment.ofArray(new byte[68]));
        Tensor rk = HeapTensors.f32("blocks.0.att.r_k", new float[4], 1, 4);
        assertMentions(assertThrows(WeightFormatException.class, () -> BlinkDlLayout.fromCanonical(List.of(rk, q), SRC)),
                "tensor 'blocks.0.att.w1'", "block-quantized data cannot be rearranged");
    }
}
