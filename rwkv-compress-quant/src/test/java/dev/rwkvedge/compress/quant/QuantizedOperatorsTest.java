package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.operators.LowRankOperatorProvider;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each operator the quantizer can touch, on a tiny real model whose operator's tensors were quantized (and nothing
 * else, so the comparison isolates it), against the same model with those tensors dequantized to F32 by the test
 * ({@link Dequantized}): dense projections (v4, v5.2), low-rank factors, the v6 and v7 LoRAs, the predicted-sparse
 * FFN and the clustered head, on the scalar and the vector backend.
 *
 * <p>Per-row INT8 products differ from the dequantized F32 products only by float rounding ({@code s·Σq·x} against
 * {@code Σ(s·q)·x}); block-type products also quantize the activation (KernelBackend contract: Q8_0 blocks, Q8_1 for
 * the types with a minimum), so their bound is the activation quantization's effect on the logits, measured per
 * case. Both bounds were set from measured maxima (README) with margin.
 * Serial and sequence mode must give the quantized model's logits bit for bit.
 */
class QuantizedOperatorsTest {
    /** Measured at most 1.3e-5 over all cases and both backends. */
    private static final double INT8_TOLERANCE = 1e-4;
    private static final int TOKENS = 40;
    private static final List<KernelBackend> BACKENDS = new ArrayList<>();

    @BeforeAll
    static void open() {
        BACKENDS.add(KernelBackends.create("scalar", 1));
        BACKENDS.add(KernelBackends.create("vector", 2));
    }

    @AfterAll
    static void close() {
        BACKENDS.forEach(KernelBackend::close);
    }

    /**
     * @param blockTolerance the bound for the ggml block types: about 1.5× the largest |Δlogit| measured over Q8_0,
     *                       Q5_1, Q5_0, Q4_1 and Q4_0 on either backend (each quantizes the activation the same way)
     */
    record Case(String name, String file, UnaryOperator<ModelWeights> restructure, List<String> targets,
                List<String> quantized, double blockTolerance) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Arguments> cases() {
        List<Case> cases = List.of(
                new Case("dense v5.2", "tiny-rwkv-5v2-730K-FP32.bin", w -> w,
                        List.of("blocks.*.att.*.weight", "blocks.*.ffn.*.weight", "head.weight"),
                        List.of("blocks.0.att.key.weight", "blocks.11.ffn.value.weight", "head.weight"), 0.32),
                new Case("dense v4", "tiny-rwkv-4v0-660K-FP32.bin", w -> w,
                        List.of("blocks.*.att.*.weight", "blocks.*.ffn.*.weight", "head.weight"),
                        List.of("blocks.0.att.output.weight", "blocks.3.ffn.key.weight"), 0.09),
                new Case("lowrank", "tiny-rwkv-5v2-730K-FP32.bin", QuantizedOperatorsTest::factorised,
                        List.of("**.lowrank.*"),
                        List.of("blocks.0.att.key.weight.lowrank.a", "blocks.5.ffn.key.weight.lowrank.b"), 0.23),
                new Case("v6 LoRA", "tiny-rwkv-6v0-1m-FP32.bin", w -> w,
                        List.of("blocks.*.att.time_maa_w1", "blocks.*.att.time_maa_w2", "blocks.*.att.time_decay_w1",
                                "blocks.*.att.time_decay_w2"),
                        List.of("blocks.0.att.time_maa_w1", "blocks.0.att.time_maa_w2", "blocks.7.att.time_decay_w2"), 0.056),
                new Case("v7 LoRA", "tiny-rwkv-7v0-834K-FP32.bin", w -> w,
                        List.of("blocks.*.att.{w,a,v,g}{1,2}"),
                        List.of("blocks.0.att.w1", "blocks.3.att.a2", "blocks.3.att.v1", "blocks.11.att.g2"), 1.6e-4),
                new Case("predicted-sparse", "tiny-rwkv-5v2-730K-FP32.bin", QuantizedOperatorsTest::sparseLayer0,
                        List.of("blocks.0.ffn.sparse.*"),
                        List.of("blocks.0.ffn.sparse.key", "blocks.0.ffn.sparse.value_t"), 0.055),
                new Case("clustered head", "tiny-rwkv-5v2-730K-FP32.bin", QuantizedOperatorsTest::clusteredHead,
                        List.of(ClusteredHeadProvider.WEIGHT),
                        List.of(ClusteredHeadProvider.WEIGHT), 0.05));
        List<Arguments> out = new ArrayList<>();
        for (Case c : cases) {
            for (QuantType t : QuantType.values()) {
                out.add(Arguments.of(c, t));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void quantizedOperatorMatchesItsDequantizedReference(Case c, QuantType type) throws IOException {
        try (ModelWeights source = Tiny.open(c.file())) {
            ModelWeights base = c.restructure().apply(source);
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("dtype", type.id);
            params.put("targets", c.targets());
            params.put("exclude", List.of());
            params.put("min-elements", 0);
            ModelWeights q = Tiny.quantize(base, params, BACKENDS.getFirst()).weights();
            boolean anyBlocks = false;
            for (String n : c.quantized()) {
                boolean blocksFit = base.get(n).cols() % 32 == 0;
                DType want = type.isBlock() && blocksFit ? type.dtype : DType.I8;
                assertEquals(want, q.get(n).dtype(), n);
                anyBlocks |= want.isQuantized();
                assertEquals(want == DType.I8, q.get(n).hasRowScale(), n);
            }
            ModelWeights ref = Dequantized.of(q);
            int[] tokens = Tiny.tokens(c.file(), 1000, TOKENS);
            double tolerance = anyBlocks ? c.blockTolerance() : INT8_TOLERANCE;
            for (KernelBackend be : BACKENDS) {
                try (RwkvModel mq = RwkvModel.of(q, be, false); RwkvModel mr = RwkvModel.of(ref, be, false)) {
                    float[][] lq = mq.newSession().evalSequenceAllLogits(tokens);
                    float[][] lr = mr.newSession().evalSequenceAllLogits(tokens);
                    Session serial = mq.newSession();
                    double max = 0;
                    for (int t = 0; t < tokens.length; t++) {
                        assertArrayEquals(lq[t], serial.eval(tokens[t]), 0f, be.name() + " token " + t
                                + ": serial and sequence mode differ");
                        for (int v = 0; v < lq[t].length; v++) {
                            max = Math.max(max, Math.abs(lq[t][v] - lr[t][v]));
                        }
                    }
                    System.out.printf("%s %s %s: max |Δlogit| vs dequantized F32 %.3g%n", c, type.id, be.name(), max);
                    assertTrue(max <= tolerance, c + " " + type.id + " on " + be.name() + ": max |Δlogit| " + max
                            + " > " + tolerance);
                }
            }
        }
    }

    /** Projections as {@code lowrank} factors A = W[:, :48], B = [I | 0] (48 × in): rows of A are 48 long. */
    static ModelWeights factorised(ModelWeights w) {
        int r = 48;
        ModelWeights.Builder b = w.toBuilder();
        for (Tensor t : w.tensors()) {
            String n = t.name();
            if (!n.matches("blocks\\.\\d+\\.(att\\.(key|value|receptance)|ffn\\.key)\\.weight")) {
                continue;
            }
            int rows = t.rows();
            int cols = t.cols();
            float[] v = t.toFloatArray();
            float[] a = new float[rows * r];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(v, i * cols, a, i * r, r);
            }
            float[] bb = new float[r * cols];
            for (int i = 0; i < r; i++) {
                bb[i * cols + i] = 1;
            }
            b.remove(n).put(Tensor.ofFloats(n + LowRankOperatorProvider.SUFFIX_A, a, rows, r))
                    .put(Tensor.ofFloats(n + LowRankOperatorProvider.SUFFIX_B, bb, r, cols));
        }
        return b.build();
    }

    /**
     * Block 0's channel mix as {@code predicted-sparse}: key rows and the transposed value, the 1-bit predictor at
     * quantile 0.5 (half the neurons per token). Only block 0, whose FFN input does not depend on any quantized
     * tensor, so both models select the same neurons.
     */
    static ModelWeights sparseLayer0(ModelWeights w) {
        Tensor key = w.get("blocks.0.ffn.key.weight");
        Tensor value = w.get("blocks.0.ffn.value.weight");
        int f = key.rows();
        int c = key.cols();
        float[] k = key.toFloatArray();
        float[] v = value.toFloatArray();
        float[] vt = new float[f * c];
        for (int o = 0; o < c; o++) {
            for (int j = 0; j < f; j++) {
                vt[j * c + o] = v[o * f + j];
            }
        }
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : k) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        byte[] bits = SignNeuronPredictor.pack(k, c, f, (min + max) / 2);
        return w.toBuilder()
                .remove("blocks.0.ffn.key.weight").remove("blocks.0.ffn.value.weight")
                .put(Tensor.ofFloats(SparseFfnTensors.name(0, SparseFfnTensors.KEY), k, f, c))
                .put(Tensor.ofFloats(SparseFfnTensors.name(0, SparseFfnTensors.VALUE_T), vt, f, c))
                .put(new Tensor(SparseFfnTensors.name(0, SparseFfnTensors.SIGN), DType.I8,
                        new long[] {f, (c + 7) / 8}, MemorySegment.ofArray(bits)))
                .put(Tensor.ofFloats(SparseFfnTensors.name(0, SparseFfnTensors.SIGN_RANGE), new float[] {min, max}, 2))
                .put(Tensor.ofFloats(SparseFfnTensors.name(0, SparseFfnTensors.SIGN_QUANTILE), new float[] {0.5f}, 1))
                .metadata(ModelConfig.FFN_DIM_KEY, Integer.toString(f))
                .metadata(SparseFfnTensors.operatorMetadataKey(0), "predicted-sparse")
                .build();
    }

    /**
     * The head as operator {@code clustered}: 8 clusters (token id mod 8), centroids the clusters' mean rows, at most
     * 3 clusters per token so most tokens get pseudo-logits.
     */
    static ModelWeights clusteredHead(ModelWeights w) {
        Tensor head = w.get("head.weight");
        int vocab = head.rows();
        int dim = head.cols();
        int k = 8;
        float[] h = head.toFloatArray();
        int[] assign = new int[vocab];
        int[] order = new int[vocab];
        int[] offsets = new int[k + 1];
        float[] centroids = new float[k * dim];
        int pos = 0;
        for (int c = 0; c < k; c++) {
            offsets[c] = pos;
            for (int t = c; t < vocab; t += k) {
                assign[t] = c;
                order[pos++] = t;
                for (int i = 0; i < dim; i++) {
                    centroids[c * dim + i] += h[t * dim + i] / (vocab / (float) k);
                }
            }
        }
        offsets[k] = vocab;
        float[] rows = new float[vocab * dim];
        float[] prior = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            System.arraycopy(h, order[i] * dim, rows, i * dim, dim);
            prior[i] = (float) -Math.log(vocab / (double) k);
        }
        return w.toBuilder().remove("head.weight")
                .put(Tensor.ofFloats(ClusteredHeadProvider.CENTROIDS, centroids, k, dim))
                .put(Tensor.ofFloats(ClusteredHeadProvider.BIAS, new float[k], k))
                .put(Tensor.ofFloats(ClusteredHeadProvider.WEIGHT, rows, vocab, dim))
                .put(ints(ClusteredHeadProvider.ORDER, order))
                .put(ints(ClusteredHeadProvider.ASSIGN, assign))
                .put(ints(ClusteredHeadProvider.OFFSETS, offsets))
                .put(Tensor.ofFloats(ClusteredHeadProvider.PRIOR, prior, vocab))
                .metadata(ClusteredHeadProvider.META_P_MIN, "0.5")
                .metadata(ClusteredHeadProvider.META_K_MIN, "1")
                .metadata(ClusteredHeadProvider.META_K_MAX, "3")
                .build();
    }

    private static Tensor ints(String name, int[] v) {
        return new Tensor(name, DType.I32, new long[] {v.length}, MemorySegment.ofArray(v.clone()));
    }
}
