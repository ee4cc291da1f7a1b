package dev.rwkvedge.compress.sparsity;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Which pages of a file mapping are in memory, through Linux {@code mincore(2)} called with the FFM API: the check
 * that the predicted-sparse FFN loads rows on demand (PAPER.md §3.6). {@link #evict} drops the file's clean pages
 * from the page cache ({@code posix_fadvise(DONTNEED)}) and {@link #adviseRandom} turns off read-ahead
 * ({@code madvise(MADV_RANDOM)}), so that afterwards exactly the pages the process touched are resident. Residency is
 * page-granular: a page counts as soon as any row on it was read.
 */
public final class PageResidency {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MINCORE = libc("mincore", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle MADVISE = libc("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle OPEN = libc("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle FADVISE = libc("posix_fadvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final int MADV_RANDOM = 1;
    private static final int POSIX_FADV_DONTNEED = 4;
    public static final long PAGE = 4096;

    private PageResidency() {
    }

    private static MethodHandle libc(String name, FunctionDescriptor fd) {
        return LINKER.defaultLookup().find(name).map(a -> LINKER.downcallHandle(a, fd))
                .orElseThrow(() -> new UnsupportedOperationException("libc has no " + name + " (Linux only)"));
    }

    /** Bytes of {@code segment} (a file mapping starting on a page boundary) that are resident, in whole pages. */
    public static long residentBytes(MemorySegment segment) {
        long pages = (segment.byteSize() + PAGE - 1) / PAGE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            int rc = (int) MINCORE.invokeExact(segment, segment.byteSize(), vec);
            if (rc != 0) {
                throw new IllegalStateException("mincore failed (" + rc + ")");
            }
            long resident = 0;
            for (long i = 0; i < pages; i++) {
                resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return resident * PAGE;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Turns off read-ahead for the mapping, so a fault brings in one page. */
    public static void adviseRandom(MemorySegment segment) {
        try {
            int rc = (int) MADVISE.invokeExact(segment, segment.byteSize(), MADV_RANDOM);
            if (rc != 0) {
                throw new IllegalStateException("madvise failed (" + rc + ")");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Drops the clean cached pages of {@code file} (written and synced before), so nothing of it is resident. */
    public static void evict(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), 0);
            if (fd < 0) {
                throw new IllegalStateException("open " + file + " failed");
            }
            int rc = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
            int closed = (int) CLOSE.invokeExact(fd);
            if (rc != 0 || closed != 0) {
                throw new IllegalStateException("posix_fadvise on " + file + " failed (" + rc + ")");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
}
