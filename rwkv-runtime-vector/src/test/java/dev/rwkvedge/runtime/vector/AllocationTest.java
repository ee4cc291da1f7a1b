package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding allocates (almost) nothing: after warm-up, {@code Session.eval(token, logitsOut)} allocates less than
 * 1 KiB per token on the calling thread, and less than 1 KiB per token on the pool's worker threads together
 * (measured with {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}). Two threads, so products run on
 * the pool (I8: per-row INT8 weights with their scales); per-call buffers live in per-thread jobs and stages sized on first use. The 24 bytes that remain are
 * {@code Session.eval}'s one-element token array.
 */
class AllocationTest {
    private static final int WARMUP = 3000;
    private static final int MEASURED = 300;
    private static final int ROUNDS = 10;

    enum Weights { F32, F16, Q8_0, Q5_1, I8 }

    @ParameterizedTest
    @EnumSource(Weights.class)
    void decodeAllocatesLessThanOneKibPerToken(Weights kind) {
        DType synthType = kind == Weights.F32 ? DType.F32 : DType.F16;
        SynthSpec spec = new SynthSpec(RwkvVersion.V5_2, 2, 256, 2048, 0, 64, synthType, 1);
        try (ModelWeights synth = SyntheticModel.generate(spec);
             VectorBackend backend = new VectorBackend(2)) {
            ModelWeights weights = synth;
            if (kind == Weights.I8) {
                ModelWeights.Builder b = synth.toBuilder();
                for (Tensor t : synth.tensors()) {
                    if (t.rank() == 2 && !t.name().equals("emb.weight")) {
                        b.put(Int8Rows.quantize(t.name(), t.toFloatArray(), t.shape()));
                    }
                }
                weights = b.build();
            }
            if (kind == Weights.Q8_0 || kind == Weights.Q5_1) {
                DType q = kind == Weights.Q8_0 ? DType.Q8_0 : DType.Q5_1;
                ModelWeights.Builder b = synth.toBuilder();
                for (Tensor t : synth.tensors()) {
                    if (t.rank() == 2 && !t.name().equals("emb.weight")) {
                        b.put(TestTensors.matrix(t.name(), q, t.toFloatArray(), t.rows(), t.cols()));
                    }
                }
                weights = b.build();
            }
            RwkvModel model = RwkvModel.of(weights, backend, false);
            long[] bytes = decodeAllocation(model.newSession(), spec.vocab(), backend);
            long caller = bytes[0];
            long worker = bytes[1];
            Thread[] workers = backend.pool().workers();
            System.out.printf("%s: %d bytes/token on the calling thread, %d bytes/token on %d worker(s)%n",
                    kind, caller, worker, workers.length);
            assertTrue(caller < 1024, kind + ": calling thread allocates " + caller + " bytes per token");
            assertTrue(worker < 1024, kind + ": workers allocate " + worker + " bytes per token");
        }
    }

    /**
     * The sparse FFN's row products ({@link VectorBackend#rowDots}, on the pool from 64 KiB of listed rows, so here
     * for F32 and F16; {@link VectorBackend#accumulateRows}) allocate nothing on the calling thread once warm: no
     * boxed vectors, no per-call buffers.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "I8"})
    void sparseRowProductsAllocateNothing(DType type) {
        int rows = 512;
        int cols = 256;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        float[] values = TestTensors.gaussian(rnd, rows * cols, 0.1);
        Tensor heap = type == DType.I8 ? Int8Rows.quantize("w", values, rows, cols)
                : TestTensors.matrix("w", type, values, rows, cols);
        // In native memory as a mapped model file is: the vector loads of a short lane from a byte[]-backed heap
        // segment are not intrinsified (they box), which no model ever runs into.
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(heap.byteSize(), 64);
        seg.copyFrom(heap.data());
        Tensor plain = new Tensor("w", type, heap.shape(), seg);
        Tensor w = heap.hasRowScale() ? plain.withRowScale(heap.rowScale()) : plain;
        float[] x = TestTensors.gaussian(rnd, cols, 1);
        int[] selected = new int[rows / 4];
        for (int i = 0; i < selected.length; i++) {
            selected[i] = 4 * i + i % 3;
        }
        float[] dots = new float[selected.length];
        float[] out = new float[cols];
        try (VectorBackend backend = new VectorBackend(2)) {
            for (int i = 0; i < WARMUP; i++) {
                backend.rowDots(w, selected, selected.length, x, 0, dots);
                backend.accumulateRows(w, selected, dots, selected.length, out, 0);
            }
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long best = Long.MAX_VALUE;
            for (int round = 0; round < ROUNDS && best >= 1024; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < MEASURED; i++) {
                    backend.rowDots(w, selected, selected.length, x, 0, dots);
                    backend.accumulateRows(w, selected, dots, selected.length, out, 0);
                }
                best = Math.min(best, (mx.getCurrentThreadAllocatedBytes() - before) / MEASURED);
            }
            System.out.printf("sparse rows %s: %d bytes/token%n", type, best);
            assertTrue(best < 1024, type + ": sparse row products allocate " + best + " bytes per token");
        }
    }

    /**
     * Decoding a model whose FFNs are {@code predicted-sparse} with the ensemble predictor allocates nothing once warm:
     * the MLP predictor's two products ({@code KernelBackend.matmul} of P1 and P2, on the pool: 169M-class P2 is
     * 344 KB in F16) write into the per-thread {@code SparseWorkspace}, the selection merges in place, and the key
     * and value rows run through the row kernels. P1/P2 as the sparsity step stores them (F16) and as older models
     * do (F32).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "F32"})
    void predictedSparseDecodeAllocatesLessThanOneKibPerToken(DType predictorType) {
        SynthSpec spec = new SynthSpec(RwkvVersion.V5_2, 2, 256, 2048, 0, 64, DType.F16, 1);
        try (ModelWeights synth = SyntheticModel.generate(spec);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
             VectorBackend backend = new VectorBackend(2, 0)) {
            ModelWeights weights = SparseModels.ensemble(synth, predictorType, 64, arena);
            RwkvModel model = RwkvModel.of(weights, backend, false);
            assertTrue(model.memoryAccount().components().get(dev.rwkvedge.model.Component.PREDICTORS).resident() > 0,
                    "the FFNs must be bound as predicted-sparse");
            long[] bytes = decodeAllocation(model.newSession(), spec.vocab(), backend);
            long caller = bytes[0];
            long worker = bytes[1];
            System.out.printf("predicted-sparse, %s predictor: %d bytes/token on the calling thread, %d on the workers%n",
                    predictorType, caller, worker);
            assertTrue(caller < 1024, predictorType + ": calling thread allocates " + caller + " bytes per token");
            assertTrue(worker < 1024, predictorType + ": workers allocate " + worker + " bytes per token");
        }
    }

    /**
     * Bytes allocated per decoded token on the calling thread and on the backend's workers, after {@code WARMUP}
     * tokens. JIT compilation runs in the background and lags on a loaded machine; until C2 has compiled a kernel,
     * its vectors are boxed. So rounds of {@code MEASURED} tokens are measured until one is clean (or {@code ROUNDS}
     * have passed) and the best is kept.
     */
    private static long[] decodeAllocation(Session s, int vocab, VectorBackend backend) {
        float[] logits = new float[vocab];
        int token = 1;
        for (int i = 0; i < WARMUP; i++) {
            s.eval(token, logits);
            token = (token * 31 + 7) % vocab;
        }
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread[] workers = backend.pool().workers();
        long caller = Long.MAX_VALUE;
        long worker = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS && (caller >= 1024 || worker >= 1024); round++) {
            long callerBefore = mx.getCurrentThreadAllocatedBytes();
            long workersBefore = workerBytes(mx, workers);
            for (int i = 0; i < MEASURED; i++) {
                s.eval(token, logits);
                token = (token * 31 + 7) % vocab;
            }
            long c = (mx.getCurrentThreadAllocatedBytes() - callerBefore) / MEASURED;
            long w = (workerBytes(mx, workers) - workersBefore) / MEASURED;
            if (Math.max(c, w) < Math.max(caller, worker)) {
                caller = c;
                worker = w;
            }
        }
        return new long[] {caller, worker};
    }

    private static long workerBytes(com.sun.management.ThreadMXBean mx, Thread[] workers) {
        long sum = 0;
        for (Thread t : workers) {
            sum += mx.getThreadAllocatedBytes(t.threadId());
        }
        return sum;
    }
}
