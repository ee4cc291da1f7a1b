package dev.rwkvedge.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Drops the pages of a read-only file mapping from this process's resident set with Linux
 * {@code madvise(addr, len, MADV_DONTNEED)} (madvise(2)), called through the FFM API.
 *
 * <p>Why: a model whose operators read only some rows per token (the predicted-sparse FFN, the clustered head;
 * {@code Footprint.Residency.ON_DEMAND}) still keeps every page it ever touched mapped, so RSS creeps up to the whole
 * file. For a shared read-only mapping {@code MADV_DONTNEED} only unmaps the pages from the page tables: they stay
 * in the OS page cache and the next read refaults them (a minor fault, no I/O while memory allows), so the data
 * read afterwards is unchanged. Private or anonymous memory would be zeroed instead, so only segments that are
 * {@linkplain MemorySegment#isMapped() file mappings} are ever released.
 *
 * <p>madvise works on whole pages; the range is rounded outward (start down, end up) to page boundaries:
 * <pre>
 *   page:     |  0   |  1   |  2   |  3   |
 *   segment:      [=========]              start in page 0, end in page 2
 *   released: [==================]         pages 0..2
 * </pre>
 * The extra bytes belong to the same mapping (a file mapping starts on a page boundary and the kernel maps its
 * last page whole), so neighbours lose nothing but residency.
 *
 * <p>Where madvise is unavailable (not Linux, native access refused) {@link #release} does nothing; this is said once
 * in an INFO log line. Releasing allocates nothing: the address is passed as a plain {@code long}.
 */
public final class PageRelease {
    private static final System.Logger LOG = System.getLogger(PageRelease.class.getName());
    /** {@code MADV_DONTNEED} of linux/mman-common.h. */
    static final int MADV_DONTNEED = 4;
    /** {@code _SC_PAGESIZE} of Linux glibc and musl unistd.h. */
    private static final int SC_PAGESIZE = 30;
    private static final MethodHandle MADVISE;
    private static final long PAGE;

    static {
        MethodHandle madvise = null;
        long page = 4096;
        String why = null;
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            why = "not Linux (" + System.getProperty("os.name") + ")";
        } else {
            try {
                Linker linker = Linker.nativeLinker();
                // void* is passed as a long: same register class on the LP64 ABIs, and no MemorySegment per call.
                madvise = linker.defaultLookup().find("madvise").map(a -> linker.downcallHandle(a, FunctionDescriptor
                        .of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                        .orElse(null);
                MethodHandle sysconf = linker.defaultLookup().find("sysconf").map(a -> linker.downcallHandle(a,
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
                if (sysconf != null) {
                    long p = (long) sysconf.invokeExact(SC_PAGESIZE);
                    if (p > 0 && Long.bitCount(p) == 1) {
                        page = p;
                    }
                }
                if (madvise == null) {
                    why = "the C library has no madvise";
                }
            } catch (Throwable t) {
                madvise = null;
                why = "native access refused (" + t + "); run with --enable-native-access=ALL-UNNAMED";
            }
        }
        MADVISE = madvise;
        PAGE = page;
        if (why != null) {
            LOG.log(System.Logger.Level.INFO, "page release is off: " + why);
        }
    }

    private PageRelease() {
    }

    /** Whether {@link #release} can drop pages here. */
    public static boolean available() {
        return MADVISE != null;
    }

    /** The page size madvise works in ({@code sysconf(_SC_PAGESIZE)}, else 4096). */
    public static long pageSize() {
        return PAGE;
    }

    /** {@code address} rounded down to a multiple of {@code page} (a power of two). */
    static long pageStart(long address, long page) {
        return address & -page;
    }

    /** The end of {@code [address, address + size)} rounded up to a multiple of {@code page} (a power of two). */
    static long pageEnd(long address, long size, long page) {
        return (address + size + page - 1) & -page;
    }

    /**
     * Drops the pages covering {@code segment} from this process's resident set, if it is a live file mapping and
     * madvise is available; otherwise does nothing.
     *
     * @return whether madvise was called and succeeded
     */
    public static boolean release(MemorySegment segment) {
        if (MADVISE == null || !segment.isMapped() || segment.byteSize() == 0 || !segment.scope().isAlive()) {
            return false;
        }
        long start = pageStart(segment.address(), PAGE);
        long end = pageEnd(segment.address(), segment.byteSize(), PAGE);
        try {
            return (int) MADVISE.invokeExact(start, end - start, MADV_DONTNEED) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
