package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.operators.CachedEmbedding;
import dev.rwkvedge.operators.DirectEmbedding;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code cached} embedding against the dense, ln0-normalised table. */
class CachedEmbeddingTest {
    static final int V = 500;
    static final int D = 64;

    static DirectEmbedding direct(KernelBackend backend) {
        SplittableRandom r = new SplittableRandom(11);
        float[] e = new float[V * D];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) r.nextGaussian();
        }
        float[] w = new float[D];
        float[] b = new float[D];
        for (int i = 0; i < D; i++) {
            w[i] = 1 + (float) r.nextGaussian() * 0.1f;
            b[i] = (float) r.nextGaussian() * 0.1f;
        }
        return new DirectEmbedding(backend, Tensor.ofFloats("emb.weight", e, V, D), w, b, 1e-5f);
    }

    /** The dense table: every row read and normalised up front. */
    static float[] table(DirectEmbedding d) {
        float[] t = new float[V * D];
        for (int v = 0; v < V; v++) {
            d.lookup(v, t, v * D);
        }
        return t;
    }

    @Test
    void neverReturnsAWrongRowAndRespectsCapacity() {
        try (KernelBackend backend = new ScalarBackendProvider().create(1)) {
            DirectEmbedding d = direct(backend);
            float[] table = table(d);
            CachedEmbedding cache = new CachedEmbedding(d, 37, D);
            SplittableRandom r = new SplittableRandom(2);
            float[] out = new float[D + 5];
            for (int i = 0; i < 20_000; i++) {
                int tok = Math.min(V - 1, (int) Math.floor(Math.exp(r.nextDouble() * Math.log(V))) - 1);
                java.util.Arrays.fill(out, Float.NaN);
                cache.lookup(tok, out, 5);
                assertArrayEquals(java.util.Arrays.copyOfRange(table, tok * D, tok * D + D),
                        java.util.Arrays.copyOfRange(out, 5, 5 + D), 0f, "token " + tok + " at lookup " + i);
                assertTrue(cache.size() <= 37, "size " + cache.size());
            }
            assertEquals(37, cache.size());
            assertEquals(20_000, cache.hits() + cache.misses());
            assertTrue(cache.hitRate() > 0.3 && cache.hitRate() < 1, "hit rate " + cache.hitRate());
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedRow() {
        float[] calls = new float[1];
        CachedEmbedding cache = new CachedEmbedding(new dev.rwkvedge.spi.EmbeddingSource() {
            @Override
            public void lookup(int token, float[] out, int off) {
                calls[0]++;
                out[off] = token;
            }

            @Override
            public String kind() {
                return "test";
            }
        }, 2, 1);
        float[] o = new float[1];
        cache.lookup(1, o, 0);
        cache.lookup(2, o, 0);
        cache.lookup(1, o, 0);
        cache.lookup(3, o, 0);
        assertEquals(3, calls[0]);
        cache.lookup(1, o, 0);
        assertEquals(3, calls[0], "1 was used after 2, so 2 was evicted, not 1 (LRU, not FIFO)");
        cache.lookup(2, o, 0);
        assertEquals(4, calls[0]);
        assertEquals(2, cache.hits());
        assertThrows(IllegalArgumentException.class, () -> new CachedEmbedding(cache, 0, 1));
    }

    @Test
    void concurrentSessionsGetTheRightRows() throws Exception {
        try (KernelBackend backend = new ScalarBackendProvider().create(1)) {
            DirectEmbedding d = direct(backend);
            float[] table = table(d);
            CachedEmbedding cache = new CachedEmbedding(d, 50, D);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> jobs = new ArrayList<>();
                for (int th = 0; th < 4; th++) {
                    long seed = th;
                    jobs.add(pool.submit(() -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        float[] out = new float[D];
                        int wrong = 0;
                        for (int i = 0; i < 5000; i++) {
                            int tok = r.nextInt(120);
                            cache.lookup(tok, out, 0);
                            for (int j = 0; j < D; j++) {
                                if (out[j] != table[tok * D + j]) {
                                    wrong++;
                                    break;
                                }
                            }
                        }
                        return wrong;
                    }));
                }
                for (Future<Integer> f : jobs) {
                    assertEquals(0, f.get());
                }
            } finally {
                pool.shutdown();
            }
            assertTrue(cache.size() <= 50);
            assertEquals(20_000, cache.hits() + cache.misses());
        }
    }
}
