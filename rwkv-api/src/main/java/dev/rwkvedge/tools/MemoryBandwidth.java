package dev.rwkvedge.tools;

import java.util.concurrent.CountDownLatch;

/**
 * A STREAM-style triad {@code a[i] = b[i] + s·c[i]} over three arrays far larger than the caches, split over a given
 * number of threads: the memory bandwidth a bandwidth-bound kernel can hope for on this machine, measured in the same
 * process and run as the benchmark it is compared with. Counted as STREAM does: three arrays of bytes per pass (two
 * read, one written; the write-allocate read is not counted). The loop is plain Java, which C2 vectorizes.
 */
public final class MemoryBandwidth {
    private final double[] a;
    private final double[] b;
    private final double[] c;
    private final int threads;

    /**
     * @param mib size of each of the three arrays in MiB (256 gives 768 MiB in all, far beyond any L3)
     */
    public MemoryBandwidth(int threads, int mib) {
        if (threads < 1 || mib < 1) {
            throw new IllegalArgumentException("threads and array size must be positive");
        }
        int n = Math.toIntExact((long) mib * 1024 * 1024 / Double.BYTES);
        this.threads = threads;
        a = new double[n];
        b = new double[n];
        c = new double[n];
        parallel(i -> {
            int[] r = range(i, n);
            for (int j = r[0]; j < r[1]; j++) {
                b[j] = 1.0;
                c[j] = 2.0;
            }
        });
    }

    /** Best triad bandwidth in bytes per second over {@code passes} passes, after one warm-up pass. */
    public double triad(int passes) {
        double best = 0;
        for (int p = -1; p < passes; p++) {
            long t0 = System.nanoTime();
            parallel(this::pass);
            long t1 = System.nanoTime();
            if (p >= 0) {
                best = Math.max(best, 3.0 * a.length * Double.BYTES / ((t1 - t0) * 1e-9));
            }
        }
        if (a[a.length / 2] != 5.0) {
            throw new IllegalStateException("triad computed a wrong value: " + a[a.length / 2]);
        }
        return best;
    }

    private void pass(int part) {
        int[] r = range(part, a.length);
        double s = 2.0;
        double[] x = a;
        double[] y = b;
        double[] z = c;
        for (int j = r[0]; j < r[1]; j++) {
            x[j] = y[j] + s * z[j];
        }
    }

    private int[] range(int part, int n) {
        long from = (long) n * part / threads;
        long to = (long) n * (part + 1) / threads;
        return new int[] {(int) from, (int) to};
    }

    private void parallel(java.util.function.IntConsumer body) {
        CountDownLatch done = new CountDownLatch(threads - 1);
        Thread[] ts = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            int part = i;
            ts[i - 1] = Thread.ofPlatform().daemon().start(() -> {
                try {
                    body.accept(part);
                } finally {
                    done.countDown();
                }
            });
        }
        body.accept(0);
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring memory bandwidth", e);
        }
    }
}
