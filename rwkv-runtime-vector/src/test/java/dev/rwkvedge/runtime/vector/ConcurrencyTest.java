package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * One backend shared by several calling threads (sessions of one model run in parallel): every product still gets
 * exactly the bits it gets alone, whether it ran on the pool or, finding it busy, on its own thread.
 */
class ConcurrencyTest {
    @Test
    void concurrentProductsOnOneBackendAreExact() throws Exception {
        SplittableRandom rnd = new SplittableRandom(9);
        DType[] types = {DType.F32, DType.F16, DType.Q8_0, DType.Q5_1};
        List<Tensor> ws = new ArrayList<>();
        List<float[]> xs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try (VectorBackend reference = new VectorBackend(1);
             VectorBackend shared = new VectorBackend(3, 0);
             ExecutorService callers = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < types.length; i++) {
                int rows = 301 + 64 * i;
                int cols = 160;
                Tensor w = TestTensors.matrix("w" + i, types[i], TestTensors.gaussian(rnd, rows * cols, 0.1), rows, cols);
                float[] x = TestTensors.gaussian(rnd, 2 * cols, 1);
                float[] out = new float[2 * rows];
                reference.matmul(w, x, 0, out, 0, 2);
                ws.add(w);
                xs.add(x);
                expected.add(out);
            }
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int first = c;
                futures.add(callers.submit(() -> {
                    for (int it = 0; it < 300; it++) {
                        int i = (first + it) % types.length;
                        int n = 1 + it % 2;
                        float[] out = new float[n * ws.get(i).rows()];
                        shared.matmul(ws.get(i), xs.get(i), 0, out, 0, n);
                        float[] want = java.util.Arrays.copyOf(expected.get(i), out.length);
                        assertArrayEquals(want, out, types[i] + " n=" + n + " iteration " + it);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
    }

    @Test
    void parallelSessionsMatchOneSessionAtATime() throws Exception {
        SynthSpec spec = new SynthSpec(RwkvVersion.V6, 2, 128, 512, 0, 64, DType.F16, 3);
        try (ModelWeights w = SyntheticModel.generate(spec);
             VectorBackend backend = new VectorBackend(2, 0);
             ExecutorService callers = Executors.newFixedThreadPool(3)) {
            RwkvModel model = RwkvModel.of(w, backend, false);
            int[][] prompts = new int[3][40];
            for (int p = 0; p < prompts.length; p++) {
                for (int t = 0; t < prompts[p].length; t++) {
                    prompts[p][t] = (p * 101 + t * 37) % spec.vocab();
                }
            }
            float[][] alone = new float[prompts.length][];
            for (int p = 0; p < prompts.length; p++) {
                alone[p] = model.newSession().evalSequence(prompts[p]);
            }
            List<Future<float[]>> futures = new ArrayList<>();
            for (int[] prompt : prompts) {
                futures.add(callers.submit(() -> {
                    Session s = model.newSession();
                    float[] last = null;
                    for (int tok : prompt) {
                        last = s.eval(tok);
                    }
                    return last;
                }));
            }
            for (int p = 0; p < prompts.length; p++) {
                assertArrayEquals(alone[p], futures.get(p).get(), "prompt " + p);
            }
        }
    }
}
