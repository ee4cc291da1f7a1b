package dev.rwkvedge.compress.cluster;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.operators.ClusterSelection;
import dev.rwkvedge.operators.ClusteredHead;
import dev.rwkvedge.operators.ClusteredHeadProvider;
import dev.rwkvedge.runtime.scalar.ScalarBackendProvider;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code clustered} head operator on a random head: exactness, pseudo-logit normalisation, selection. */
class ClusteredHeadTest {
    static final int V = 300;
    static final int D = 32;
    static final int K = 12;
    static KernelBackend backend;

    @BeforeAll
    static void backend() {
        backend = new ScalarBackendProvider().create(1);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A random head of {@code dtype} with random clusters (all non-empty) and a random H1, bound by the provider. */
    static Fixture fixture(DType dtype, double pMin, int kMin, int kMax, String fallback, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[V * D];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.5);
        }
        Tensor head = dtype == DType.F32 ? Tensor.ofFloats("head.weight", w, V, D) : f16("head.weight", w, V, D);
        int[] assign = new int[V];
        for (int t = 0; t < V; t++) {
            assign[t] = t < K ? t : r.nextInt(K);
        }
        float[] h1 = new float[K * D];
        for (int i = 0; i < h1.length; i++) {
            h1[i] = (float) r.nextGaussian();
        }
        float[] bias = new float[K];
        for (int c = 0; c < K; c++) {
            bias[c] = (float) r.nextGaussian();
        }
        int[] order = ClusteredLayout.order(assign, K);
        double[] mass = new double[V];
        for (int t = 0; t < V; t++) {
            mass[t] = r.nextDouble();
        }
        float[] prior = ClusteredLayout.logPrior(order, ClusteredLayout.offsets(assign, K), mass);
        ModelWeights.Builder b = ModelWeights.builder(null, "memory");
        for (Tensor t : ClusteredLayout.tensors(head, assign, K, h1, bias, prior)) {
            b.put(t);
        }
        b.metadata(ClusteredHeadProvider.META_P_MIN, Double.toString(pMin))
                .metadata(ClusteredHeadProvider.META_K_MIN, Integer.toString(kMin))
                .metadata(ClusteredHeadProvider.META_K_MAX, Integer.toString(kMax))
                .metadata(ClusteredHeadProvider.META_FALLBACK, fallback);
        ModelWeights mw = b.build();
        ClusteredHead op = (ClusteredHead) new ClusteredHeadProvider().bindLinear(mw, "head.weight", V, D).orElseThrow();
        float[] x = new float[D];
        for (int i = 0; i < D; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return new Fixture(head, op, assign, h1, bias, x);
    }

    record Fixture(Tensor head, ClusteredHead op, int[] assign, float[] h1, float[] bias, float[] x) {
        float[] dense() {
            float[] out = new float[V];
            backend.matmul(head, x, 0, out, 0, 1);
            return out;
        }

        float[] clustered() {
            float[] out = new float[V];
            op.apply(backend, x, 0, out, 0, 1, new float[op.scratchPerToken()]);
            return out;
        }

        /** log P(c) from H1, in double. */
        double[] logClusterProbs() {
            double[] z = new double[K];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < K; c++) {
                float s = 0;
                for (int j = 0; j < D; j++) {
                    s += h1[c * D + j] * x[j];
                }
                z[c] = s + bias[c];
                max = Math.max(max, z[c]);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            double lse = max + Math.log(sum);
            for (int c = 0; c < K; c++) {
                z[c] -= lse;
            }
            return z;
        }
    }

    static Tensor f16(String name, float[] v, long... shape) {
        short[] h = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            h[i] = Half.floatToF16(v[i]);
        }
        return new Tensor(name, DType.F16, shape, MemorySegment.ofArray(h));
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16"})
    void pMinOneEqualsTheDenseHeadBitForBit(String dtype) {
        for (String fallback : new String[] {"pseudo", "none"}) {
            Fixture f = fixture(DType.valueOf(dtype), 1.0, 1, K, fallback, 7);
            assertArrayEquals(f.dense(), f.clustered(), 0f, dtype + " " + fallback);
            assertEquals(K, f.op().stats().snapshot().meanClusters());
            assertEquals(1.0, f.op().stats().snapshot().meanHeadShare());
        }
    }

    @Test
    void sessionsOnManyThreadsGetTheSerialResultAndAreAllCounted() throws Exception {
        Fixture f = fixture(DType.F32, 0.7, 1, K, "pseudo", 13);
        int tokens = 64;
        float[] xs = new float[tokens * D];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) r.nextGaussian();
        }
        float[] serial = new float[tokens * V];
        f.op().apply(backend, xs, 0, serial, 0, tokens, new float[tokens * f.op().scratchPerToken()]);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<float[]>> jobs = new java.util.ArrayList<>();
            for (int th = 0; th < 4; th++) {
                jobs.add(pool.submit(() -> {
                    float[] out = new float[tokens * V];
                    float[] scratch = new float[f.op().scratchPerToken()];
                    for (int rep = 0; rep < 5; rep++) {
                        for (int t = 0; t < tokens; t++) {
                            f.op().apply(backend, xs, t * D, out, t * V, 1, scratch);
                        }
                    }
                    return out;
                }));
            }
            for (var j : jobs) {
                assertArrayEquals(serial, j.get(), 0f);
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(tokens * 21, f.op().stats().snapshot().tokens());
    }

    @Test
    void statsGiveMeanAndP95() {
        dev.rwkvedge.operators.HeadStats s = new dev.rwkvedge.operators.HeadStats(10, 1000);
        for (int i = 1; i <= 100; i++) {
            s.record(i <= 95 ? 2 : 9, i <= 95 ? 100 : 900);
        }
        var snap = s.snapshot();
        assertEquals(2.35, snap.meanClusters(), 1e-12);
        assertEquals(2, snap.p95Clusters());
        assertEquals(0.14, snap.meanHeadShare(), 1e-12);
        assertEquals(0.1, snap.p95HeadShare(), 1e-12);
        s.record(9, 900);
        assertEquals(9, s.snapshot().p95Clusters());
    }

    @Test
    void kMaxCapsEvenAtPMinOne() {
        Fixture f = fixture(DType.F32, 1.0, 1, 4, "none", 7);
        f.clustered();
        assertEquals(4, f.op().stats().snapshot().meanClusters());
    }

    @Test
    void pseudoLogitsFormTheIntendedDistribution() {
        for (long seed = 1; seed <= 20; seed++) {
            Fixture f = fixture(DType.F32, 0.6, 1, K, "pseudo", seed);
            float[] dense = f.dense();
            float[] out = f.clustered();
            double[] logP = f.logClusterProbs();
            double[] p = softmax(out);
            double total = 0;
            for (double v : p) {
                total += v;
            }
            assertEquals(1.0, total, 1e-5);
            double[] mass = new double[K];
            boolean[] exact = new boolean[K];
            for (int t = 0; t < V; t++) {
                mass[f.assign()[t]] += p[t];
            }
            for (int c = 0; c < K; c++) {
                boolean allExact = true;
                for (int t = 0; t < V; t++) {
                    if (f.assign()[t] == c && out[t] != dense[t]) {
                        allExact = false;
                    }
                }
                exact[c] = allExact;
            }
            double pTaken = 0;
            double known = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < K; c++) {
                if (exact[c]) {
                    pTaken += Math.exp(logP[c]);
                } else {
                    assertEquals(Math.exp(logP[c]), mass[c], 1e-5, "untaken cluster " + c + " keeps its H1 mass");
                }
            }
            double maxKnown = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < V; t++) {
                if (exact[f.assign()[t]]) {
                    maxKnown = Math.max(maxKnown, out[t]);
                }
            }
            double s = 0;
            for (int t = 0; t < V; t++) {
                if (exact[f.assign()[t]]) {
                    s += Math.exp(out[t] - maxKnown);
                }
            }
            known = maxKnown + Math.log(s);
            assertTrue(pTaken >= 0.6 - 1e-9, "taken mass " + pTaken + " reaches p-min");
            assertEquals(known - Math.log(pTaken), logSumExp(out), 1e-5, "one global normalisation: LSE = L − log P_S");
            for (int t = 0; t < V; t++) {
                if (exact[f.assign()[t]]) {
                    assertEquals(pTaken * Math.exp(dense[t] - known), p[t], 1e-6, "taken token keeps its relative probability");
                }
            }
        }
    }

    @Test
    void fallbackNoneGivesMinusInfinityOutsideTheTakenClusters() {
        Fixture f = fixture(DType.F32, 0.5, 2, 5, "none", 3);
        float[] dense = f.dense();
        float[] out = f.clustered();
        int exact = 0;
        int dropped = 0;
        for (int t = 0; t < V; t++) {
            if (out[t] == Float.NEGATIVE_INFINITY) {
                dropped++;
            } else {
                assertEquals(dense[t], out[t], 0f);
                exact++;
            }
        }
        assertTrue(exact > 0 && dropped > 0, exact + " exact, " + dropped + " dropped");
    }

    @Test
    void selectionTakesDescendingClustersUntilPMinWithinKMinKMax() {
        float[] z = {0f, 3f, 1f, 2f, -1f};
        double lse = logSumExp(z);
        float[] taken = new float[5];
        assertEquals(1, new ClusterSelection(0.5, 1, 5).select(z, 0, 5, lse, taken, 0));
        assertArrayEquals(new float[] {0, 1, 0, 0, 0}, taken);
        assertEquals(2, new ClusterSelection(0.8, 1, 5).select(z, 0, 5, lse, taken, 0));
        assertArrayEquals(new float[] {0, 1, 0, 1, 0}, taken);
        assertEquals(3, new ClusterSelection(0.5, 3, 5).select(z, 0, 5, lse, taken, 0));
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, taken);
        assertEquals(2, new ClusterSelection(0.999, 1, 2).select(z, 0, 5, lse, taken, 0));
        assertEquals(5, new ClusterSelection(1.0, 1, 9).select(z, 0, 5, lse, taken, 0));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSelection(0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new ClusterSelection(0.5, 3, 2));
    }

    @Test
    void providerRejectsAnAssignmentThatDisagreesWithTheOrder() {
        Fixture f = fixture(DType.F32, 0.9, 1, K, "pseudo", 5);
        ModelWeights.Builder b = ModelWeights.builder(null, "memory");
        for (Tensor t : ClusteredLayout.tensors(f.head(), f.assign(), K, f.h1(), f.bias(), new float[V])) {
            b.put(t);
        }
        int[] wrong = f.assign().clone();
        wrong[0] = (wrong[0] + 1) % K;
        b.put(new Tensor(ClusteredHeadProvider.ASSIGN, DType.I32, new long[] {V}, MemorySegment.ofArray(wrong)));
        ModelWeights mw = b.build();
        assertThrows(WeightFormatException.class, () -> new ClusteredHeadProvider().bindLinear(mw, "head.weight", V, D));
    }

    static double[] softmax(float[] l) {
        double lse = logSumExp(l);
        double[] p = new double[l.length];
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] - lse);
        }
        return p;
    }

    static double logSumExp(float[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v);
        }
        double s = 0;
        for (float v : l) {
            s += Math.exp(v - max);
        }
        return max + Math.log(s);
    }
}
