package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Eight sessions on one loaded model in parallel threads give logits bit-identical to serial runs, per backend. */
class ConcurrentSessionsTest {
    private static float[][] run(RwkvModel m, int seed) {
        Session s = m.newSession();
        float[][] out = new float[48][];
        int tok = seed;
        for (int i = 0; i < out.length; i++) {
            out[i] = s.eval(tok);
            tok = (tok * 31 + 7 + i) % 256;
        }
        return out;
    }

    @Test
    void eightParallelSessionsEqualSerial() throws Exception {
        for (String backend : KernelBackends.registry().available()) {
            if (!KernelBackends.registry().forName(backend).probe().supported()) {
                continue;
            }
            try (RwkvModel m = Rwkv.load(Fixtures.require("models/tiny/tiny-rwkv-6v0-1m-Q5_1.bin"),
                    LoadOptions.defaults().withBackend(backend).withThreads(2))) {
                List<float[][]> serial = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    serial.add(run(m, i * 13));
                }
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<float[][]>> parallel = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        int seed = i * 13;
                        parallel.add(pool.submit(() -> run(m, seed)));
                    }
                    for (int i = 0; i < 8; i++) {
                        float[][] got = parallel.get(i).get();
                        for (int t = 0; t < got.length; t++) {
                            assertArrayEquals(serial.get(i)[t], got[t], backend + ": session " + i + " step " + t);
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
