package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.SignNeuronPredictor;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The predicted-sparse FFN over rows in a file mapping touches only the pages of predicted neurons: with one row per
 * page, resident pages after a token are exactly the predicted key rows plus the active value rows.
 */
class OnDemandRowsTest {
    @Test
    void onlyPredictedRowsBecomeResident(@TempDir Path dir) throws Exception {
        int c = 1024;
        int f = 64;
        SplittableRandom r = new SplittableRandom(3);
        float[] k = new float[f * c];
        float[] v = new float[f * c];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        Tensor key = Tensor.ofFloats("k", k, f, c);
        Tensor valueT = Tensor.ofFloats("vt", v, f, c);
        SignNeuronPredictor sign = new SignNeuronPredictor(SignNeuronPredictor.pack(k, c, f, 0f), c, f, 0.875);
        try (Arena arena = Arena.ofShared(); KernelBackend backend = KernelBackends.create("scalar", 1)) {
            List<Tensor> mapped = MappedTensors.writeAndMap(List.of(key, valueT), dir.resolve("rows.bin"), arena);
            assertEquals(0, PageResidency.residentBytes(mapped.get(0).data()) + PageResidency.residentBytes(mapped.get(1).data()),
                    "nothing resident after eviction");
            PredictedSparseFfn op = new PredictedSparseFfn(sign, mapped.get(0), mapped.get(1), 1);
            float[] x = new float[c];
            for (int i = 0; i < c; i++) {
                x[i] = (float) r.nextGaussian();
            }
            op.apply(backend, x, new float[c], 1, new float[f], new float[0]);
            long keyResident = PageResidency.residentBytes(mapped.get(0).data());
            long valueResident = PageResidency.residentBytes(mapped.get(1).data());
            assertEquals(op.traffic().predictedNeurons() * key.rowBytes(), keyResident);
            assertEquals(op.traffic().activeNeurons() * valueT.rowBytes(), valueResident);
            assertTrue(keyResident < key.byteSize() / 4, "1/8 of the key rows predicted");
        }
    }
}
