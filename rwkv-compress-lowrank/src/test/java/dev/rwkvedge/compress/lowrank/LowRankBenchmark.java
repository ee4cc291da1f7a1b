package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.testing.DirectContext;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;

import java.util.Locale;
import java.util.Map;

/**
 * Not a test: a one-off measurement, run by hand with the test classpath (see the module's README section in the
 * report). Compresses a synthetic 430M-class v5.2 model (24 × 1024, vocab 65536, F16) with the default targets and
 * method svd, then compares single-token decode speed of the dense and the factorised model.
 *
 * <p>Arguments: {@code [backend (default scalar)] [decode tokens (default 16)] [threads (default 2)]}.
 */
public final class LowRankBenchmark {
    private LowRankBenchmark() {
    }

    public static void main(String[] args) {
        String backendName = args.length > 0 ? args[0] : "scalar";
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        long t0 = System.nanoTime();
        ModelWeights dense = SyntheticModel.generate(new SynthSpec(RwkvVersion.V5_2, 24, 1024, 65536, 0, 64, DType.F16, 1));
        System.out.printf(Locale.ROOT, "generated %.1f MB in %.1f s%n", dense.byteSize() / 1e6, secs(t0));
        try (KernelBackend be = KernelBackends.create(backendName, threads)) {
            long t1 = System.nanoTime();
            CompressionResult r = new LowRankCompressorProvider()
                    .create(new Params("lowrank", Map.of("method", "svd", "threads", threads)))
                    .apply(dense, new DirectContext(new int[0], 42, be));
            double compress = secs(t1);
            ModelWeights small = r.weights();
            System.out.printf(Locale.ROOT, "compressed %s matrices (default targets, rank-ratio 0.125, svd) in %.1f s"
                            + " on %d threads: %.1f MB -> %.1f MB%n", r.report().metrics().get("factorized"),
                    compress, threads, dense.byteSize() / 1e6, small.byteSize() / 1e6);
            double worst = 0;
            for (Map<String, Object> row : r.report().rows()) {
                worst = Math.max(worst, ((Number) row.get("relative_error")).doubleValue());
            }
            System.out.printf(Locale.ROOT, "worst relative Frobenius error %.4f%n", worst);
            long denseRead = dense.byteSize() - dense.get("emb.weight").byteSize();
            long smallRead = small.byteSize() - small.get("emb.weight").byteSize();
            try (RwkvModel dm = RwkvModel.of(dense, be, false); RwkvModel lm = RwkvModel.of(small, be, false)) {
                Session ds = dm.newSession();
                Session ls = lm.newSession();
                double dms = Double.POSITIVE_INFINITY;
                double lms = Double.POSITIVE_INFINITY;
                // Interleaved rounds, best of each: the machine is shared, so drift in load hits both alike.
                for (int round = 0; round < 3; round++) {
                    dms = Math.min(dms, decodeMs(ds, tokens, round));
                    lms = Math.min(lms, decodeMs(ls, tokens, round));
                }
                System.out.printf(Locale.ROOT, "decode on %s (%d threads), best of 3 rounds of %d tokens: dense %.1f "
                                + "ms/token, lowrank %.1f ms/token, speed-up %.2fx; weight bytes read per token "
                                + "%.1f MB -> %.1f MB (%.2fx)%n", be.name(), be.threads(), tokens, dms, lms, dms / lms,
                        denseRead / 1e6, smallRead / 1e6, (double) denseRead / smallRead);
            }
        }
    }

    /** Mean time of one serial decode step. */
    private static double decodeMs(Session s, int tokens, int round) {
        s.eval(1);
        long t = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            s.eval(100 + 7 * round + i);
        }
        return (System.nanoTime() - t) / 1e6 / tokens;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
