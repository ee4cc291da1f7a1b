package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.operators.EnsembleNeuronPredictor;
import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.NeuronPredictor;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.SignBits;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sparsity predictors in sequence mode ({@link NeuronPredictor#selectChunk}: the MLP's two products and the sign
 * scores for the whole chunk) select, for every token, exactly the neurons {@link NeuronPredictor#select} selects
 * for it alone: MLP with F32 and F16 factors, the 1-bit predictor, the ensemble under OR and AND, on the scalar
 * backend and the vector backend with 1, 2 and 3 threads, at a width off the vector and word sizes.
 */
class PredictorChunkTest extends ScalarAndVector {
    private static final int EMBD = 200;
    private static final int FFN = 203;
    private static final int RANK = 17;

    /** The tensor in 64-byte-aligned native memory, as a mapped file gives it. */
    private static Tensor nativeCopy(Tensor t) {
        MemorySegment seg = Arena.ofAuto().allocate(t.byteSize(), 64);
        seg.copyFrom(t.data());
        return new Tensor(t.name(), t.dtype(), t.shape(), seg);
    }

    private static MlpNeuronPredictor mlp(DType type, SplittableRandom rnd) {
        Tensor p1 = nativeCopy(TestTensors.matrix("p1", type, TestTensors.gaussian(rnd, RANK * EMBD, 0.1), RANK, EMBD));
        Tensor p2 = nativeCopy(TestTensors.matrix("p2", type, TestTensors.gaussian(rnd, FFN * RANK, 0.3), FFN, RANK));
        float[] bias = TestTensors.gaussian(rnd, FFN, 0.1);
        return new MlpNeuronPredictor(p1, p2, bias, 0.5);
    }

    private static SignNeuronPredictor sign(SplittableRandom rnd) {
        byte[] bits = new byte[FFN * SignBits.stride(EMBD)];
        rnd.nextBytes(bits);
        Tensor t = nativeCopy(SignBits.tensor("sign", bits, EMBD, FFN));
        return new SignNeuronPredictor(t, EMBD, FFN, 0.7);
    }

    @Test
    void aChunkSelectsForEachTokenWhatItSelectsAlone() {
        SplittableRandom rnd = new SplittableRandom(11);
        MlpNeuronPredictor mlp32 = mlp(DType.F32, rnd);
        MlpNeuronPredictor mlp16 = mlp(DType.F16, rnd);
        SignNeuronPredictor sign = sign(rnd);
        NeuronPredictor[] predictors = {mlp32, mlp16, sign,
                new EnsembleNeuronPredictor(mlp16, sign, EnsembleNeuronPredictor.Rule.OR),
                new EnsembleNeuronPredictor(mlp32, sign, EnsembleNeuronPredictor.Rule.AND)};
        String[] names = {"mlp f32", "mlp f16", "sign", "ensemble or", "ensemble and"};
        for (int n : new int[] {1, 2, 7, 32}) {
            float[] x = TestTensors.gaussian(rnd, n * EMBD, 1);
            for (KernelBackend backend : new KernelBackend[] {scalar, vector1, vector2, vector3}) {
                for (int p = 0; p < predictors.length; p++) {
                    String at = names[p] + ", " + backend.name() + " " + backend.threads() + " threads, n " + n;
                    SparseWorkspace ws = new SparseWorkspace(EMBD, FFN, RANK);
                    int[] selected = new int[n * FFN];
                    int[] counts = new int[n];
                    predictors[p].selectChunk(backend, x, EMBD, n, FFN, selected, counts, ws);
                    int[] one = new int[FFN];
                    for (int t = 0; t < n; t++) {
                        int count = predictors[p].select(backend, x, t * EMBD, one, new SparseWorkspace(EMBD, FFN, RANK));
                        assertEquals(count, counts[t], at + ", token " + t + ": count");
                        assertArrayEquals(Arrays.copyOf(one, count), Arrays.copyOfRange(selected, t * FFN, t * FFN + count),
                                at + ", token " + t + ": selection");
                        assertTrue(count > 0 && count < FFN, at + ": a selection that decides something (" + count + ")");
                    }
                }
            }
        }
    }
}
