package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.DenseFfn;
import dev.rwkvedge.operators.DenseLinear;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The predicted-sparse operator against the dense FFN: bit-identical when every neuron is predicted. */
class PredictedSparseFfnTest {
    private static final int C = 48;
    private static final int F = 160;
    private static KernelBackend backend;

    @BeforeAll
    static void open() {
        backend = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Tensor matrix(String name, int rows, int cols, DType type, SplittableRandom r) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.3);
        }
        if (type == DType.F32) {
            return Tensor.ofFloats(name, v, rows, cols);
        }
        short[] s = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            s[i] = Half.floatToF16(v[i]);
        }
        return new Tensor(name, DType.F16, new long[] {rows, cols}, MemorySegment.ofArray(s));
    }

    private static float[] inputs(int n, SplittableRandom r) {
        float[] x = new float[n * C];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16"})
    void predictAllIsBitIdenticalToDense(DType type) {
        SplittableRandom r = new SplittableRandom(7);
        Tensor key = matrix("k", F, C, type, r);
        Tensor value = matrix("v", C, F, type, r);
        Tensor valueT = NeuronMajor.transpose(value, "vt");
        MlpNeuronPredictor all = MlpNeuronPredictor.ofFloats(new float[4 * C], new float[F * 4], new float[F], C, F, 0);
        int n = 5;
        float[] x = inputs(n, r);
        float[] dense = new float[n * C];
        new DenseFfn(new DenseLinear(key), new DenseLinear(value)).apply(backend, x, dense, n, new float[n * F], new float[0]);
        float[] sparse = new float[n * C];
        PredictedSparseFfn op = new PredictedSparseFfn(all, key, valueT, 4);
        op.apply(backend, x, sparse, n, new float[n * F], new float[0]);
        assertArrayEquals(dense, sparse, 0f);
        assertEquals((long) n * F, op.traffic().predictedNeurons());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.9})
    void skippedNeuronsAreExactlyTheUnpredictedOnes(double quantile) {
        SplittableRandom r = new SplittableRandom(11);
        Tensor key = matrix("k", F, C, DType.F32, r);
        Tensor value = matrix("v", C, F, DType.F32, r);
        float[] kf = key.toFloatArray();
        SignNeuronPredictor sign = new SignNeuronPredictor(SignNeuronPredictor.pack(kf, C, F, 0f), C, F, quantile);
        PredictedSparseFfn op = new PredictedSparseFfn(sign, key, NeuronMajor.transpose(value, "vt"), 1);
        float[] x = inputs(1, r);
        float[] sparse = new float[C];
        op.apply(backend, x, sparse, 1, new float[F], new float[0]);

        int[] selected = new int[F];
        int count = sign.select(backend, x, 0, selected, new dev.rwkvedge.operators.SparseWorkspace(C, F, 1));
        assertEquals(SignNeuronPredictor.keepCount(quantile, F), count);
        float[] h = new float[F];
        backend.matvec(key, x, h);
        boolean[] keep = new boolean[F];
        for (int s = 0; s < count; s++) {
            keep[selected[s]] = true;
        }
        for (int j = 0; j < F; j++) {
            float z = keep[j] && h[j] > 0 ? h[j] : 0;
            h[j] = z * z;
        }
        float[] masked = new float[C];
        backend.matvec(value, h, masked);
        assertArrayEquals(masked, sparse, 0f);
        assertTrue(op.traffic().bytesTouched() < key.byteSize() + value.byteSize());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 40})
    void signScoresAndTopKMatchBruteForce(int keep) {
        SplittableRandom r = new SplittableRandom(keep);
        float[] k = matrix("k", F, C, DType.F32, r).toFloatArray();
        byte[] bits = SignNeuronPredictor.pack(k, C, F, 0.01f);
        SignNeuronPredictor sign = new SignNeuronPredictor(bits, C, F, 1 - (double) keep / F);
        float[] x = inputs(1, r);
        float[] scores = new float[F];
        sign.scores(x, 0, new float[((C + 7) / 8) * 256], scores);
        double[] brute = new double[F];
        for (int j = 0; j < F; j++) {
            for (int i = 0; i < C; i++) {
                if (k[j * C + i] >= 0.01f) {
                    brute[j] += x[i];
                }
            }
            assertEquals(brute[j], scores[j], 1e-4);
        }
        int[] selected = new int[F];
        int n = sign.select(backend, x, 0, selected, new dev.rwkvedge.operators.SparseWorkspace(C, F, 1));
        assertEquals(keep, n);
        double minKept = Double.POSITIVE_INFINITY;
        boolean[] in = new boolean[F];
        for (int s = 0; s < n; s++) {
            in[selected[s]] = true;
            minKept = Math.min(minKept, scores[selected[s]]);
            if (s > 0) {
                assertTrue(selected[s] > selected[s - 1], "ascending");
            }
        }
        for (int j = 0; j < F; j++) {
            if (!in[j]) {
                assertTrue(scores[j] <= minKept, "neuron " + j + " outscores a kept one");
            }
        }
    }

    /** Whole tiny models with the 1-bit predictor at quantile 0 (every neuron) give the dense logits bit for bit. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-5v2-730K-FP16.bin", "tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-7v0-834K-FP32.bin",
            "tiny-rwkv-4v0-660K-FP32.bin"})
    void wholeModelPredictAllEqualsDense(String file) throws Exception {
        try (ModelWeights dense = TinyData.open(file)) {
            CompressionResult res = new SparsityCompressorProvider().create(new Params("sparsity",
                    Map.of("predictor", "1bit", "sign-quantile", 0))).apply(dense, TinyData.context(new int[0], 1, backend));
            assertTrue(!res.weights().contains("blocks.0.ffn.key.weight"));
            int[] tokens = TinyData.corpus(file, 0, 48);
            try (RwkvModel a = RwkvModel.of(dense, backend, false); RwkvModel b = RwkvModel.of(res.weights(), backend, false)) {
                Session sa = a.newSession();
                Session sb = b.newSession();
                for (int t : tokens) {
                    assertArrayEquals(sa.eval(t), sb.eval(t), 0f);
                }
                assertArrayEquals(sa.evalSequence(tokens), sb.evalSequence(tokens), 0f);
            }
        }
    }
}
