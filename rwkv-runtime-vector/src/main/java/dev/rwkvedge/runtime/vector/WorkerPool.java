package dev.rwkvedge.runtime.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of daemon worker threads, created once per backend, that split a range of rows with the calling
 * thread. Nothing is allocated per job: the task is a reusable object, rows are handed out in grains from an
 * atomic counter (dynamic, so a core that the machine's other processes slow down takes fewer grains), and
 * threads wake by a volatile generation counter, spinning briefly before they park (a token issues about a hundred
 * products a few hundred microseconds apart; parking and waking every time would cost tens of microseconds each).
 *
 * <p>Which thread computes a row never changes its bits, so results do not depend on the thread count or on the
 * schedule. One job runs at a time: a caller that finds the pool busy (another session on the same backend) runs
 * its whole job on its own thread instead of waiting.
 */
final class WorkerPool implements AutoCloseable {
    /** Work over rows {@code [from, to)} using the running thread's staging buffers. */
    interface Task {
        void run(int from, int to, RowStage stage);
    }

    /** About 50-100 µs of PAUSE instructions before a waiting thread parks. */
    private static final int SPINS = 1 << 11;

    private final Thread[] workers;
    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private Task task;
    private int total;
    private int grain;
    private volatile long generation;
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
            this.task = t;
            this.total = total;
            this.grain = grain;
            this.failure = null;
            this.caller = Thread.currentThread();
            next.set(0);
            running.set(workers.length);
            generation = generation + 1;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            try {
                drain(callerStage);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            // Always wait for every worker to acknowledge, so that none still runs this job when the next starts.
            int spins = 0;
            while (running.get() != 0) {
                if (spins++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
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

    private void drain(RowStage stage) {
        Task t = task;
        int n = total;
        int g = grain;
        for (int from = next.getAndAdd(g); from < n; from = next.getAndAdd(g)) {
            t.run(from, Math.min(n, from + g), stage);
        }
    }

    private void workerLoop() {
        RowStage stage = new RowStage();
        long seen = 0;
        while (true) {
            long g;
            int spins = 0;
            while ((g = generation) == seen && !closed) {
                if (spins++ < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = g;
            try {
                drain(stage);
            } catch (Throwable e) {
                failure = e;
            }
            if (running.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
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
