package dev.rwkvedge.runtime.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of daemon worker threads, created once per backend, that split a range of rows with the calling
 * thread. Nothing is allocated per job: the task is a reusable object, rows are claimed in grains, and threads wake
 * through one atomic word, spinning briefly before they park (a token issues about a hundred products a few hundred
 * microseconds apart; parking and waking every time would cost tens of microseconds each).
 *
 * <h2>Claiming rows</h2>
 * <pre>
 *   state (64 bits) = generation (high 32) | next unclaimed row (low 32)
 * </pre>
 * A thread claims {@code [row, row + grain)} by a compare-and-set that also checks the generation, and the caller
 * waits until every row is <em>done</em>, not until every worker has answered. So a worker that the operating system
 * has descheduled (the machine is shared; edge devices run other things) never delays a product: the caller and
 * the running workers take its rows, and when it wakes its claim fails against the new generation. Before a job's
 * fields are written the state is closed ({@code row = CLOSED}), so a late worker cannot pair old rows with new fields.
 *
 * <p>Which thread computes a row never changes its bits, so results do not depend on the thread count or the
 * schedule. One job runs at a time: a caller that finds the pool busy (another session on the same backend) runs its
 * whole job on its own thread instead of waiting.
 */
final class WorkerPool implements AutoCloseable {
    /** Work over rows {@code [from, to)} using the running thread's staging buffers. */
    interface Task {
        void run(int from, int to, RowStage stage);
    }

    /** About 50-100 µs of PAUSE instructions before a waiting thread parks. */
    private static final int SPINS = 1 << 11;
    private static final int CLOSED = Integer.MAX_VALUE;

    private final Thread[] workers;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicLong state = new AtomicLong((long) CLOSED);
    private final AtomicInteger done = new AtomicInteger();
    private Task task;
    private int total;
    private int grain;
    private volatile boolean closed;
    private volatile Thread caller;
    private volatile Throwable failure;

    /** A pool in which {@code threads − 1} workers help the calling thread. */
    WorkerPool(int threads, String name) {
        workers = new Thread[Math.max(0, threads - 1)];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, name + "-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** The worker threads (for allocation measurements in tests). */
    Thread[] workers() {
        return workers.clone();
    }

    /**
     * Runs {@code t} over rows {@code [0, total)} in grains of {@code grain}, on the workers and the calling thread;
     * returns when every row is done. Runs inline when there are no workers or the pool is busy.
     */
    void run(Task t, int total, int grain, RowStage callerStage) {
        if (workers.length == 0 || total <= grain || closed || !busy.tryLock()) {
            t.run(0, total, callerStage);
            return;
        }
        try {
            int gen = generation(state.get()) + 1;
            state.set(pack(gen, CLOSED));
            this.task = t;
            this.total = total;
            this.grain = grain;
            this.failure = null;
            this.caller = Thread.currentThread();
            done.set(0);
            state.set(pack(gen, 0));
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            work(gen, callerStage);
            int spins = 0;
            while (done.get() < total) {
                if (spins++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
            state.set(pack(gen, CLOSED));
            this.task = null;
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException r) {
                    throw r;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException(f);
            }
        } finally {
            busy.unlock();
        }
    }

    private static long pack(int gen, int row) {
        return ((long) gen << 32) | (row & 0xFFFFFFFFL);
    }

    private static int generation(long s) {
        return (int) (s >>> 32);
    }

    /** Claims and runs grains of generation {@code gen} until none is left. */
    private void work(int gen, RowStage stage) {
        while (true) {
            long s = state.get();
            int row = (int) s;
            if (generation(s) != gen || row == CLOSED) {
                return;
            }
            Task t = task;
            int n = total;
            int g = grain;
            if (row >= n) {
                return;
            }
            int end = Math.min(n, row + g);
            if (!state.compareAndSet(s, pack(gen, end))) {
                continue;
            }
            try {
                t.run(row, end, stage);
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                if (done.addAndGet(end - row) == n) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    private void workerLoop() {
        RowStage stage = new RowStage();
        int seen = generation(state.get());
        int spins = 0;
        while (!closed) {
            long s = state.get();
            int gen = generation(s);
            if (gen != seen && (int) s != CLOSED) {
                // A job this worker has not joined, and open (not being set up or already finished).
                seen = gen;
                work(gen, stage);
                spins = 0;
            } else if (spins++ < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
