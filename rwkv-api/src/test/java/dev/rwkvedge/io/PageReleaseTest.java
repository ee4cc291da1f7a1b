package dev.rwkvedge.io;

import dev.rwkvedge.tools.ProcessMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PageReleaseTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** Rounding outward to 4096-byte pages, by hand. */
    @Test
    void roundsOutwardToPages() {
        long p = 4096;
        assertEquals(0x10000, PageRelease.pageStart(0x10000, p), "aligned start stays");
        assertEquals(0x10000, PageRelease.pageStart(0x10001, p));
        assertEquals(0x10000, PageRelease.pageStart(0x10fff, p));
        assertEquals(0x11000, PageRelease.pageEnd(0x10000, 0x1000, p), "one whole page");
        assertEquals(0x11000, PageRelease.pageEnd(0x10000, 1, p));
        assertEquals(0x12000, PageRelease.pageEnd(0x10fff, 2, p), "two bytes across a page boundary: two pages");
        assertEquals(0x13000, PageRelease.pageEnd(0x10800, 0x2000, p), "8 KiB from mid-page spans three pages");
        assertEquals(0x200000, PageRelease.pageEnd(0x1ff000, 0x1000, 0x200000), "2 MiB pages");
        assertEquals(0x200000, PageRelease.pageStart(0x3fffff, 0x200000));
    }

    /**
     * A touched 4 MiB read-only file mapping is resident; releasing a 1 MiB slice that starts and ends mid-page drops
     * that slice's pages (rounded outward) from this process's RSS, and the data reads back unchanged.
     */
    @Test
    void releasedPagesLeaveTheResidentSetAndReadBackUnchanged() throws IOException {
        assumeTrue(PageRelease.available(), "madvise is not available here (not Linux)");
        Path file = dir.resolve("pages.bin");
        byte[] bytes = new byte[(int) (4 * MIB)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 12));
        }
        Files.write(file, bytes);
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            long sum = touch(map);
            long before = ProcessMemory.mappedFileRss(file);
            assertEquals(4 * MIB, before, "every page touched is mapped");

            // [1 MiB + 100, 2 MiB + 100): pages 256..512 inclusive, 257 pages.
            MemorySegment slice = map.asSlice(MIB + 100, MIB).asReadOnly();
            assertTrue(PageRelease.release(slice));
            long after = ProcessMemory.mappedFileRss(file);
            assertEquals(4 * MIB - 257 * 4096, after, "the slice's pages, rounded outward, left the resident set");

            assertEquals(sum, touch(map), "the file's bytes read back unchanged");
            for (int i = 0; i < bytes.length; i += 4093) {
                assertEquals(bytes[i], map.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    /** Memory that is not a file mapping (heap, native allocation) would lose its contents: it is never released. */
    @Test
    void neverReleasesMemoryThatIsNotAFileMapping() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment anon = arena.allocate(64 * 4096, 4096);
            anon.fill((byte) 7);
            assertFalse(PageRelease.release(anon));
            assertEquals(7, anon.get(ValueLayout.JAVA_BYTE, 5 * 4096 + 3), "native allocation kept its bytes");
        }
        MemorySegment heap = MemorySegment.ofArray(new byte[] {1, 2, 3});
        assertFalse(PageRelease.release(heap));
        assertEquals(2, heap.get(ValueLayout.JAVA_BYTE, 1));
    }

    private static long touch(MemorySegment s) {
        long sum = 0;
        for (long i = 0; i < s.byteSize(); i += 512) {
            sum += s.get(ValueLayout.JAVA_BYTE, i);
        }
        return sum;
    }
}
