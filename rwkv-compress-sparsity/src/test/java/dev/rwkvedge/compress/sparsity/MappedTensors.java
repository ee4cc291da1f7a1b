package dev.rwkvedge.compress.sparsity;

import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmark helper: writes tensors to a raw file, each starting on a page boundary, and maps them back as read-only
 * views, so the predicted-sparse FFN can be run over rows that live in a file mapping (no weight file format of the
 * project writes the new tensors yet).
 */
final class MappedTensors {
    private MappedTensors() {
    }

    static List<Tensor> writeAndMap(List<Tensor> tensors, Path file, Arena arena) throws IOException {
        long[] offsets = new long[tensors.size()];
        long pos = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < tensors.size(); i++) {
                pos = (pos + PageResidency.PAGE - 1) / PageResidency.PAGE * PageResidency.PAGE;
                offsets[i] = pos;
                ByteBuffer b = ByteBuffer.wrap(tensors.get(i).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                long at = pos;
                while (b.hasRemaining()) {
                    at += ch.write(b, at);
                }
                pos = at;
            }
            ch.force(true);
        }
        PageResidency.evict(file);
        List<Tensor> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, pos, arena);
            PageResidency.adviseRandom(all);
            for (int i = 0; i < tensors.size(); i++) {
                Tensor t = tensors.get(i);
                out.add(new Tensor(t.name(), t.dtype(), t.shape(), all.asSlice(offsets[i], t.byteSize())));
            }
        }
        return out;
    }
}
