package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.CachedEmbedding;
import dev.rwkvedge.operators.CachedEmbeddingProvider;
import dev.rwkvedge.operators.DirectEmbedding;
import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.RwkvException;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code embedding-cache} on a tiny real model (vocab 256, so a 32-row cache is what makes it evict). */
class EmbeddingCacheCompressorTest {
    static final String MODEL = "tiny-rwkv-6v0-1m-FP32.bin";

    @Test
    void cachedModelGivesTheSameLogitsAndReportsTheHitRate() throws Exception {
        int[] tokens = TinyData.tokens(MODEL, 1000, 400);
        try (KernelBackend backend = new ScalarBackendProvider().create(1); ModelWeights w = TinyData.model(MODEL)) {
            CompressionResult r = new EmbeddingCacheProvider().create(new Params("embedding-cache", Map.of("capacity", 32)))
                    .apply(w, new DirectContext(tokens, 1, backend));
            assertEquals("32", r.weights().metadata().get(CachedEmbeddingProvider.CAPACITY_KEY));
            DirectEmbedding direct = new DirectEmbedding(backend, w.get("emb.weight"), new float[w.get("emb.weight").cols()],
                    new float[w.get("emb.weight").cols()], 1e-5f);
            assertSame(direct, Operators.embedding(w, direct), "without the metadata key the engine reads rows directly");
            assertInstanceOf(CachedEmbedding.class, Operators.embedding(r.weights(), direct));
            double hit = (double) r.report().metrics().get("hit_rate_on_calibration");
            assertTrue(hit > 0.5 && hit < 1, "hit rate " + hit);
            assertEquals(Double.toString(hit), r.weights().metadata().get(CachedEmbeddingProvider.HIT_RATE_KEY));
            try (RwkvModel dense = RwkvModel.of(w, backend, false); RwkvModel cached = RwkvModel.of(r.weights(), backend, false)) {
                // Memory account: 32 cached F32 rows and ln0 resident, the table on demand, a miss reading one row.
                Tensor table = w.get("emb.weight");
                int d = table.cols();
                MemoryAccount.Row e = cached.memoryAccount().components().get(Component.EMBEDDING);
                assertEquals(32L * d * 4 + 2L * d * 4, e.resident());
                assertEquals(table.byteSize(), e.onDemand());
                assertEquals((1 - hit) * table.rowBytes(), e.touchedPerToken(), 1e-9);
                assertEquals(table.byteSize() + 2L * d * 4,
                        dense.memoryAccount().components().get(Component.EMBEDDING).resident());
                float[][] a = dense.newSession().evalSequenceAllLogits(tokens);
                float[][] b = cached.newSession().evalSequenceAllLogits(tokens);
                for (int t = 0; t < a.length; t++) {
                    assertArrayEquals(a[t], b[t], 0f, "token " + t);
                }
            }
        }
    }

    @Test
    void badCapacityIsRejected() {
        assertThrows(RwkvException.class, () -> new EmbeddingCacheProvider().create(new Params("embedding-cache", Map.of("capacity", 0))));
        assertThrows(RwkvException.class, () -> new EmbeddingCacheProvider().create(new Params("embedding-cache", Map.of("size", 10))));
    }
}
