package dev.rwkvedge.format.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file mapped read-only into a shared arena, so tensors can be slices of the mapping (never copied to the
 * heap) and be used from many threads. Closing releases the mapping; the readers hand {@link #close} to
 * {@link dev.rwkvedge.model.ModelWeights.Builder#resource} so it happens when the weights are closed.
 *
 * @param segment the file's bytes; 64-bit sized, so files beyond 2 GiB work
 */
public record MappedFile(Path path, Arena arena, MemorySegment segment) implements AutoCloseable {

    /**
     * Maps {@code path}; an empty file gives an empty segment. A mapping the operating system refuses fails with an
     * {@link IOException} that names the file and the likely limit, not the JDK's bare "Map failed".
     */
    public static MappedFile map(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg;
            try {
                seg = size == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            } catch (IOException e) {
                throw new IOException(path + ": cannot map its " + size + " bytes into memory (" + e.getMessage()
                        + "); the process's address space (ulimit -v) or the kernel's map count (vm.max_map_count) "
                        + "is exhausted", e);
            }
            return new MappedFile(path, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public long size() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        arena.close();
    }
}
