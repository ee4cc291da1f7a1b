package dev.rwkvedge.testing.fuzz;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Feeds mutated files to one reader and enforces the readers' contract (DESIGN.md §6, "readers never trust
 * sizes"): every input either opens (the target then touches every tensor) or fails with the format's own
 * exception carrying a non-empty message; nothing else may escape (no IndexOutOfBounds, NegativeArraySize,
 * OutOfMemoryError, JDK IllegalArgumentException, ArithmeticException, IOException…). Each input must also finish
 * within {@link #TIME_LIMIT_MS} ms and allocate at most its own size plus {@link #ALLOCATION_OVERHEAD} bytes of heap
 * on the reading thread (measured with {@code ThreadMXBean#getCurrentThreadAllocatedBytes}; mapped file data is
 * not heap, so a reader that honours the file's sizes stays far below this bound).
 *
 * <p>The reader runs on a worker thread so a hanging input is reported instead of hanging the build. Inputs are
 * derived from {@link #seed()} and the iteration number only, so a failure is replayed exactly by
 * {@link Mutator#mutate} with the same numbers. {@link #iterations()} is 1,000 by default and set by the Maven
 * profile {@code fuzz} (system property {@code rwkv.fuzz.iterations}) for long runs.
 */
public final class FuzzHarness implements AutoCloseable {
    /** Heap a reader may allocate beyond the input's size: names, maps, small converted tensors, messages. */
    public static final long ALLOCATION_OVERHEAD = 1L << 20;
    public static final long TIME_LIMIT_MS = 1000;

    /** Opens one file and touches what it read; must close what it opened. */
    @FunctionalInterface
    public interface Target {
        void run(Path file) throws Exception;
    }

    /** What a run did. */
    public record Report(String format, int inputs, int opened, int rejected, long maxAllocated, long maxMillis,
                         List<String> failures) {
        @Override
        public String toString() {
            return "fuzz " + format + ": " + inputs + " inputs, " + opened + " opened, " + rejected + " rejected, "
                    + failures.size() + " failures, max heap " + maxAllocated + " B over input, max " + maxMillis + " ms";
        }
    }

    private record Outcome(Throwable thrown, long allocated, long nanos) {
    }

    private final String format;
    private final Path folder;
    private final String suffix;
    private final Target target;
    private final Class<? extends Throwable> expected;
    private ExecutorService worker = newWorker();
    private int counter;

    /**
     * @param folder   where inputs are written (one file per input, deleted after it was read)
     * @param suffix   file name suffix of the inputs, e.g. {@code .pth}
     * @param expected the format's own exception type
     */
    public FuzzHarness(String format, Path folder, String suffix, Target target, Class<? extends Throwable> expected) {
        this.format = format;
        this.folder = folder;
        this.suffix = suffix;
        this.target = target;
        this.expected = expected;
    }

    public static int iterations() {
        return Integer.getInteger("rwkv.fuzz.iterations", 1000);
    }

    public static long seed() {
        return Long.getLong("rwkv.fuzz.seed", 20_261_129L);
    }

    /**
     * Runs {@code iterations} mutants of each seed file, after reading the seed once to warm up (class loading and
     * static initialisation are not the reader's per-input allocation) and once more to check that it opens.
     */
    public Report run(List<byte[]> seeds, List<FuzzLayout> layouts, Mutator mutator, int iterations)
            throws IOException, InterruptedException {
        int opened = 0;
        int rejected = 0;
        long maxAllocated = 0;
        long maxMillis = 0;
        List<String> failures = new ArrayList<>();
        for (int s = 0; s < seeds.size(); s++) {
            warmUp(seeds.get(s));
            String problem = check(seeds.get(s));
            if (problem != null) {
                throw new AssertionError(format + " seed " + s + " does not open: " + problem);
            }
            for (int i = 0; i < iterations; i++) {
                long iteration = (long) s * 1_000_000_000L + i;
                Mutator.Mutant m = mutator.mutate(seeds.get(s), layouts.get(s), seed(), iteration);
                Outcome o = execute(m.bytes());
                String failure = judge(m.bytes().length, o);
                maxAllocated = Math.max(maxAllocated, o.allocated() - m.bytes().length);
                maxMillis = Math.max(maxMillis, o.nanos() / 1_000_000);
                if (failure != null) {
                    failures.add("seed " + seed() + " iteration " + iteration + " (" + m.description() + ", "
                            + m.bytes().length + " bytes): " + failure);
                } else if (o.thrown() == null) {
                    opened++;
                } else {
                    rejected++;
                }
            }
        }
        return new Report(format, seeds.size() * iterations, opened, rejected, maxAllocated, maxMillis, failures);
    }

    /** Fails with the first few failures of {@code report}, with what is needed to replay them. */
    public static void assertClean(Report report) {
        System.out.println(report);
        if (!report.failures().isEmpty()) {
            java.util.Map<String, Integer> kinds = new java.util.TreeMap<>();
            for (String f : report.failures()) {
                kinds.merge(kind(f), 1, Integer::sum);
            }
            StringBuilder sb = new StringBuilder(report.toString()).append("\nkinds:");
            kinds.forEach((k, n) -> sb.append("\n  ").append(n).append(" × ").append(k));
            for (String k : kinds.keySet()) {
                report.failures().stream().filter(f -> kind(f).equals(k)).findFirst()
                        .ifPresent(f -> sb.append("\n").append(f));
            }
            throw new AssertionError(sb.toString());
        }
    }

    /**
     * Reads {@code input} once without judging it, so that class loading and static initialisation of the reader
     * (megabytes, once per JVM) are not counted against the first judged input.
     */
    public void warmUp(byte[] input) throws IOException, InterruptedException {
        execute(input);
    }

    /** A failure's exception class (or limit) and the first rwkv-edge frame: one line per distinct bug. */
    private static String kind(String failure) {
        String[] lines = failure.split("\n");
        String head = lines[0].replaceFirst("^seed \\d+ iteration \\d+ \\([^)]*\\): ", "");
        int colon = head.indexOf(':');
        head = head.startsWith("allocated") ? "allocation limit" : head.startsWith("took") ? "time limit"
                : colon > 0 ? head.substring(0, colon) : head;
        for (String l : lines) {
            if (l.contains("at dev.rwkvedge.") && !l.contains("testing.fuzz")) {
                return head + " " + l.strip();
            }
        }
        return head;
    }

    /**
     * Runs one input: null if it opened, {@code "rejected: message"} if it failed as allowed, else what went wrong.
     * Used by regression tests for inputs found by fuzzing.
     */
    public String check(byte[] input) throws IOException, InterruptedException {
        Outcome o = execute(input);
        String failure = judge(input.length, o);
        if (failure != null) {
            return failure;
        }
        return o.thrown() == null ? null : "rejected: " + o.thrown().getMessage();
    }

    private String judge(long size, Outcome o) {
        Throwable t = o.thrown();
        if (t != null && !(expected.isInstance(t) && t.getMessage() != null && !t.getMessage().isBlank())) {
            return stackTrace(t);
        }
        if (o.nanos() > TIME_LIMIT_MS * 1_000_000) {
            return "took " + o.nanos() / 1_000_000 + " ms (limit " + TIME_LIMIT_MS + " ms)";
        }
        if (o.allocated() > size + ALLOCATION_OVERHEAD) {
            return "allocated " + o.allocated() + " bytes of heap for a " + size + "-byte input (limit size + "
                    + ALLOCATION_OVERHEAD + ")";
        }
        return null;
    }

    private Outcome execute(byte[] input) throws IOException, InterruptedException {
        Path file = folder.resolve("input-" + (counter++) + suffix);
        Files.write(file, input);
        try {
            Future<Outcome> f = worker.submit(() -> runTarget(file));
            try {
                return f.get(TIME_LIMIT_MS * 10, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                worker.shutdownNow();
                worker = newWorker();
                return new Outcome(new AssertionError("still running after " + TIME_LIMIT_MS * 10 + " ms"),
                        0, TIME_LIMIT_MS * 10_000_000);
            } catch (ExecutionException e) {
                return new Outcome(e.getCause(), 0, 0);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private Outcome runTarget(Path file) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        Throwable thrown = null;
        try {
            target.run(file);
        } catch (Throwable t) {
            thrown = t;
        }
        long nanos = System.nanoTime() - start;
        return new Outcome(thrown, threads.getCurrentThreadAllocatedBytes() - allocated, nanos);
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        return s.length() > 1500 ? s.substring(0, 1500) + "…" : s;
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-reader");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
