package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.SignBits;
import dev.rwkvedge.tensor.Tensor;

import java.util.Objects;

/**
 * Backend {@code vector}: the {@link KernelBackend} contract with jdk.incubator.vector kernels. Matrix products run
 * row-parallel on a {@link WorkerPool} created once; norms and WKV run on the calling thread (they touch kilobytes).
 * Loaded only reflectively by {@link VectorBackendProvider}, after the incubator module was found.
 *
 * <p>Safe for any number of sessions at once: weights are read-only, per-call buffers live in a per-thread
 * {@link MatmulJob}, and the pool runs one product at a time (a second concurrent caller computes on its own thread).
 */
final class VectorBackend implements KernelBackend {
    /**
     * Products smaller than this many weight bytes per token run on the calling thread: waking workers costs
     * microseconds, more than a LoRA or a tiny model's whole product.
     */
    static final long DEFAULT_MIN_PARALLEL_BYTES = 64 * 1024;
    /** Rows per grain: about this many weight bytes, so that grains outnumber threads and stream sequentially. */
    private static final long DEFAULT_GRAIN_BYTES = 32 * 1024;

    private final int threads;
    private final long minParallelBytes;
    private final long grainBytes;
    private final WorkerPool pool;
    private final ThreadLocal<MatmulJob> jobs = ThreadLocal.withInitial(MatmulJob::new);
    private final ThreadLocal<SignDots.Job> signJobs = ThreadLocal.withInitial(SignDots.Job::new);
    private final ThreadLocal<RowAccumulate.Chunk> chunkJobs = ThreadLocal.withInitial(RowAccumulate.Chunk::new);

    VectorBackend(int threads) {
        this(threads, DEFAULT_MIN_PARALLEL_BYTES, DEFAULT_GRAIN_BYTES);
    }

    /** @param minParallelBytes products below this size run on the calling thread (tests pass 0 to force the pool) */
    VectorBackend(int threads, long minParallelBytes) {
        this(threads, minParallelBytes, DEFAULT_GRAIN_BYTES);
    }

    /**
     * @param minParallelBytes products below this size run on the calling thread
     * @param grainBytes       work per grain (tests pass 1 so that even their small products split into many grains)
     */
    VectorBackend(int threads, long minParallelBytes, long grainBytes) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.minParallelBytes = minParallelBytes;
        this.grainBytes = grainBytes;
        this.pool = new WorkerPool(threads, "rwkv-vector");
    }

    @Override
    public String name() {
        return VectorBackendProvider.NAME;
    }

    @Override
    public int threads() {
        return threads;
    }

    WorkerPool pool() {
        return pool;
    }

    @Override
    public void matmul(Tensor w, float[] x, int xOff, float[] out, int outOff, int n) {
        int rows = w.rows();
        int cols = w.cols();
        Objects.checkFromIndexSize(xOff, (long) n * cols > Integer.MAX_VALUE ? -1 : n * cols, x.length);
        Objects.checkFromIndexSize(outOff, (long) n * rows > Integer.MAX_VALUE ? -1 : n * rows, out.length);
        if (n <= 0 || rows == 0) {
            return;
        }
        MatmulJob job = jobs.get();
        job.prepare(w, x, xOff, out, outOff, n);
        try {
            long rowBytes = job.rowBytes();
            // Whole row groups in sequence mode: it stages RowStage.ROWS rows at a time.
            runRows(job, rows, rowBytes, rowBytes * n, n > 1 ? RowStage.ROWS : 1, job.stage);
        } finally {
            job.clear();
        }
    }

    /**
     * Runs {@code task} over rows {@code [0, rows)}: on the calling thread when this backend has one thread or the
     * rows hold fewer than {@code minParallelBytes} of weights, else on the pool in grains of about
     * {@code grainBytes} of work ({@code workBytesPerRow} a row), rounded up to a multiple of {@code rowMultiple}.
     */
    private void runRows(WorkerPool.Task task, int rows, long rowBytes, long workBytesPerRow, int rowMultiple,
                         RowStage stage) {
        if (threads == 1 || rows * rowBytes < minParallelBytes) {
            task.run(0, rows, stage);
            return;
        }
        int grain = (int) Math.max(1, Math.min(rows, grainBytes / Math.max(1, workBytesPerRow)));
        grain = Math.min(rows, (grain + rowMultiple - 1) / rowMultiple * rowMultiple);
        pool.run(task, rows, grain, stage);
    }

    /**
     * The listed rows of a single-token product through the paired kernels of {@link #matmul}, so each entry has its
     * row's {@code matmul} bits; split over the workers like a product (a sparse FFN lists hundreds to thousands of
     * rows, a megabyte of a 169M-class layer), on the calling thread below {@code minParallelBytes}.
     */
    @Override
    public void rowDots(Tensor w, int[] rows, int count, float[] x, int xOff, float[] out) {
        Objects.checkFromIndexSize(xOff, w.cols(), x.length);
        Objects.checkFromIndexSize(0, count, Math.min(rows.length, out.length));
        if (count == 0) {
            return;
        }
        MatmulJob job = jobs.get();
        job.prepare(w, x, xOff, out, 0, 1);
        job.listRows(rows);
        try {
            long rowBytes = job.rowBytes();
            runRows(job, count, rowBytes, rowBytes, 2, job.stage);
        } finally {
            job.clear();
        }
    }

    /**
     * Lanewise FMA per row on the calling thread ({@link RowAccumulate}). Splitting the output columns over the
     * workers (same bits on any thread count) measured slower on the 169M-class edge model, 2 threads: decode
     * 11.5-12.2 against 11.7 ms/token in halves, 15.1-15.7 in slices of 128 columns, prefill 139-156 against 161-163
     * tokens/s: each worker then fetches a fraction of every active row, and the rows are scattered.
     */
    @Override
    public void accumulateRows(Tensor w, int[] rows, float[] coef, int count, float[] out, int outOff) {
        Objects.checkFromIndexSize(outOff, w.cols(), out.length);
        Objects.checkFromIndexSize(0, count, Math.min(rows.length, coef.length));
        for (int k = 0; k < count; k++) {
            Objects.checkIndex(rows[k], w.rows());
        }
        MatmulJob job = jobs.get();
        job.stage.ensure(w.cols());
        RowAccumulate.accumulate(w, rows, coef, count, out, outOff, job.stage.row);
    }

    /**
     * {@link RowAccumulate.Chunk}: each row widened once for all its tokens; the output columns split over the
     * workers in one contiguous slice each (same bits on any number of threads), on the calling thread below
     * {@code minParallelBytes} of rows.
     */
    @Override
    public void accumulateRowsChunk(Tensor w, int[] rows, int groups, int[] start, int[] tokens, float[] coef,
                                    float[] out, int outOff, int stride) {
        int cols = w.cols();
        Objects.checkFromIndexSize(0, groups, Math.min(rows.length, start.length - 1));
        for (int g = 0; g < groups; g++) {
            Objects.checkIndex(rows[g], w.rows());
            Objects.checkFromToIndex(start[g], start[g + 1], Math.min(tokens.length, coef.length));
            for (int e = start[g]; e < start[g + 1]; e++) {
                Objects.checkFromIndexSize(outOff + (long) tokens[e] * stride, cols, out.length);
            }
        }
        if (groups == 0 || cols == 0) {
            return;
        }
        RowAccumulate.Chunk job = chunkJobs.get();
        job.prepare(w, rows, groups, start, tokens, coef, out, outOff, stride);
        try {
            int units = job.units();
            if (threads == 1 || units == 1 || groups * w.rowBytes() < minParallelBytes) {
                job.run(0, units, jobs.get().stage);
            } else {
                pool.run(job, units, (units + threads - 1) / threads, jobs.get().stage);
            }
        } finally {
            job.clear();
        }
    }

    /**
     * Masked adds per row ({@link SignDots}), rows split over the workers in grains of about {@code grainBytes} of
     * bits; small matrices run on the calling thread.
     */
    @Override
    public void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out) {
        signDots(bits, cols, x, xOff, out, 1);
    }

    /** {@link #signDots(Tensor, int, float[], int, float[])} for a chunk: each pair of rows against every token. */
    @Override
    public void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out, int n) {
        int rows = SignBits.checkShape(bits, cols);
        Objects.checkFromIndexSize(xOff, (long) n * cols, x.length);
        Objects.checkFromIndexSize(0, (long) n * rows, out.length);
        if (n <= 0) {
            return;
        }
        SignDots.Job job = signJobs.get();
        job.prepare(bits.data(), rows, cols, x, xOff, out, n);
        try {
            runRows(job, rows, bits.rowBytes(), bits.rowBytes() * n, 2, jobs.get().stage);
        } finally {
            job.clear();
        }
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] out, int outOff, int len, float[] weight, float[] bias, float eps) {
        Norms.layerNorm(x, xOff, out, outOff, len, weight, bias, eps);
    }

    @Override
    public void groupNorm(float[] x, int xOff, float[] out, int outOff, int len, int groups, float[] weight, float[] bias, float eps) {
        Norms.groupNorm(x, xOff, out, outOff, len, groups, weight, bias, eps);
    }

    @Override
    public void wkv4(int c, float[] k, float[] v, int off, float[] w, float[] u,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out) {
        Wkv4.apply(c, k, v, off, w, u, state, aaOff, bbOff, ppOff, out);
    }

    @Override
    public void wkv5(int heads, int s, float[] r, float[] k, float[] v, int off, float[] w, int wOff, float[] u,
                     float[] state, int stateOff, float[] out) {
        Wkv5.apply(heads, s, r, k, v, off, w, wOff, u, state, stateOff, out);
    }

    @Override
    public void wkv7(int heads, int s, float[] r, float[] w, float[] k, float[] v, float[] a, float[] b, int off,
                     float[] state, int stateOff, float[] out) {
        Wkv7.apply(heads, s, r, w, k, v, a, b, off, state, stateOff, out);
    }

    @Override
    public void close() {
        pool.close();
    }
}
