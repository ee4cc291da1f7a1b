package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.operators.SparseFfnTensors;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * A model whose every FFN is the {@code predicted-sparse} operator with the ensemble predictor (random MLP OR 1-bit
 * signs), built by hand from a dense one (the {@code sparsity} compressor is not a dependency of this module). The
 * matrices live in 64-byte-aligned native memory, as in a mapped model file.
 */
final class SparseModels {
    private SparseModels() {
    }

    static ModelWeights ensemble(ModelWeights dense, DType predictorType, int rank, Arena arena) {
        ModelConfig config = ModelConfig.of(dense);
        ModelWeights.Builder b = dense.toBuilder();
        SplittableRandom rnd = new SplittableRandom(5);
        int f = config.ffnDim();
        int c = config.nEmbd();
        for (int l = 0; l < config.nLayer(); l++) {
            String prefix = "blocks." + l + ".ffn.";
            Tensor key = dense.get(prefix + "key.weight");
            float[] value = dense.get(prefix + "value.weight").toFloatArray();
            float[] valueT = new float[f * c];
            for (int o = 0; o < c; o++) {
                for (int j = 0; j < f; j++) {
                    valueT[j * c + o] = value[o * f + j];
                }
            }
            b.remove(prefix + "key.weight").remove(prefix + "value.weight");
            b.put(nativeCopy(key.renamed(SparseFfnTensors.name(l, SparseFfnTensors.KEY)), arena));
            b.put(nativeCopy(TestTensors.matrix(SparseFfnTensors.name(l, SparseFfnTensors.VALUE_T), key.dtype(), valueT, f, c), arena));
            b.put(nativeCopy(TestTensors.matrix(SparseFfnTensors.name(l, SparseFfnTensors.P1), predictorType,
                    TestTensors.gaussian(rnd, rank * c, 1 / Math.sqrt(c)), rank, c), arena));
            b.put(nativeCopy(TestTensors.matrix(SparseFfnTensors.name(l, SparseFfnTensors.P2), predictorType,
                    TestTensors.gaussian(rnd, f * rank, 1 / Math.sqrt(rank)), f, rank), arena));
            b.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.P2_BIAS), new float[f], f));
            b.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.MLP_THRESHOLD), new float[] {0.6f}, 1));
            byte[] bits = SignNeuronPredictor.pack(key.toFloatArray(), c, f, 0f);
            b.put(new Tensor(SparseFfnTensors.name(l, SparseFfnTensors.SIGN), DType.I8, new long[] {f, (c + 7) / 8},
                    MemorySegment.ofArray(bits)));
            b.put(Tensor.ofFloats(SparseFfnTensors.name(l, SparseFfnTensors.SIGN_QUANTILE), new float[] {0.9f}, 1));
            b.put(new Tensor(SparseFfnTensors.name(l, SparseFfnTensors.RULE), DType.I32, new long[] {1},
                    MemorySegment.ofArray(new int[] {0})));
            b.metadata(SparseFfnTensors.operatorMetadataKey(l), "predicted-sparse");
        }
        b.metadata(ModelConfig.FFN_DIM_KEY, Integer.toString(f));
        return b.build();
    }

    private static Tensor nativeCopy(Tensor t, Arena arena) {
        MemorySegment seg = arena.allocate(t.byteSize(), 64);
        seg.copyFrom(t.data());
        return new Tensor(t.name(), t.dtype(), t.shape(), seg);
    }
}
