package dev.rwkvedge.compress.quant;

import dev.rwkvedge.operators.DenseFfn;
import dev.rwkvedge.operators.DenseLinear;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code predicted-sparse} FFN with quantized neuron rows. With every neuron predicted it must be bit-identical to
 * the dense FFN on the scalar backend whose key is the same quantized matrix (the backend's product, contract of
 * {@code KernelBackend}) and whose value is the quantized value rows dequantized to F32 (the neuron-major value has
 * no activation block to quantize, so its rows are dequantized and scaled by the float h). With half the neurons it
 * must equal the sparse FFN over the dequantized F32 rows within float rounding (INT8) or the activation
 * quantization's bound (the ggml block types: Q8_0 blocks of the activation, Q8_1 for Q4_1/Q5_1).
 */
class QuantizedSparseFfnTest {
    private static final int C = 64;
    private static final int F = 96;
    private static KernelBackend scalar;

    @BeforeAll
    static void open() {
        scalar = KernelBackends.create("scalar", 1);
    }

    @AfterAll
    static void close() {
        scalar.close();
    }

    private static float[] random(int n, double scale, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static Tensor quantized(String name, float[] v, int rows, int cols, QuantType type) {
        if (type == QuantType.INT8) {
            return Int8Rows.quantize(name, v, rows, cols);
        }
        DType d = type.dtype;
        byte[] b = new byte[(int) d.byteSize(v.length)];
        int blockBytes = (int) d.byteSize(32);
        for (int blk = 0; blk < v.length / 32; blk++) {
            GgmlBlocks.quantizeBlock(d, v, blk * 32, b, blk * blockBytes);
        }
        return new Tensor(name, d, new long[] {rows, cols}, MemorySegment.ofArray(b));
    }

    /** The value rows transposed back to C × F as F32, from the dequantized neuron rows. */
    private static Tensor denseValue(Tensor valueT) {
        float[] vt = valueT.toFloatArray();
        float[] v = new float[C * F];
        for (int j = 0; j < F; j++) {
            for (int o = 0; o < C; o++) {
                v[o * F + j] = vt[j * C + o];
            }
        }
        return Tensor.ofFloats("v", v, C, F);
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void everyNeuronPredictedIsBitIdenticalToTheDenseFfn(QuantType type) {
        SplittableRandom r = new SplittableRandom(5);
        Tensor key = quantized("k", random(F * C, 0.3, r), F, C, type);
        Tensor valueT = quantized("vt", random(F * C, 0.3, r), F, C, type);
        byte[] bits = SignNeuronPredictor.pack(key.toFloatArray(), C, F, 0f);
        PredictedSparseFfn sparse = new PredictedSparseFfn(new SignNeuronPredictor(bits, C, F, 0), key, valueT, 1);
        int n = 4;
        float[] x = random(n * C, 1, r);
        float[] got = new float[n * C];
        sparse.apply(scalar, x, got, n, new float[n * F], new float[0]);
        float[] want = new float[n * C];
        new DenseFfn(new DenseLinear(key), new DenseLinear(denseValue(valueT)))
                .apply(scalar, x, want, n, new float[n * F], new float[0]);
        assertArrayEquals(want, got, 0f, type.id);
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void halfTheNeuronsMatchTheDequantizedRows(QuantType type) {
        SplittableRandom r = new SplittableRandom(9);
        float[] k = random(F * C, 0.3, r);
        Tensor key = quantized("k", k, F, C, type);
        Tensor valueT = quantized("vt", random(F * C, 0.3, r), F, C, type);
        Tensor keyF = Tensor.ofFloats("kf", key.toFloatArray(), F, C);
        Tensor valueF = Tensor.ofFloats("vf", valueT.toFloatArray(), F, C);
        SignNeuronPredictor predictor = new SignNeuronPredictor(SignNeuronPredictor.pack(k, C, F, 0f), C, F, 0.5);
        int n = 6;
        float[] x = random(n * C, 1, r);
        float[] got = new float[n * C];
        new PredictedSparseFfn(predictor, key, valueT, 1).apply(scalar, x, got, n, new float[n * F], new float[0]);
        float[] want = new float[n * C];
        new PredictedSparseFfn(predictor, keyF, valueF, 1).apply(scalar, x, want, n, new float[n * F], new float[0]);
        double tol = type == QuantType.INT8 ? 1e-4 : 0.05;
        double max = 0;
        double norm = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(got[i] - want[i]));
            norm = Math.max(norm, Math.abs(want[i]));
        }
        assertTrue(max <= tol * Math.max(1, norm), type.id + ": max |Δ| " + max + " (outputs up to " + norm + ")");
    }

    @Test
    void rawI8RowsWithoutScaleAreRefused() {
        Tensor raw = new Tensor("k", DType.I8, new long[] {F, C}, MemorySegment.ofArray(new byte[F * C]));
        Tensor f = Tensor.ofFloats("v", new float[F * C], F, C);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PredictedSparseFfn(
                new SignNeuronPredictor(new byte[F * C / 8], C, F, 0), raw, f, 1));
        assertTrue(e.getMessage().contains("row scale"), e.getMessage());
    }
}
