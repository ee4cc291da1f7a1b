package dev.rwkvedge.format.io;

import dev.rwkvedge.format.container.ContainerFormatProvider;
import dev.rwkvedge.format.pth.PthFormatProvider;
import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.format.safetensors.SafetensorsFormatProvider;
import dev.rwkvedge.format.testing.ReferenceModels;
import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failed write never damages an existing file and never leaves a temporary file behind. */
class AtomicFilesTest {
    private static final byte[] OLD = "the previous model, which must survive".getBytes();
    @TempDir
    Path dir;

    private Path existingTarget(String name) throws IOException {
        return Files.write(dir.resolve(name), OLD);
    }

    private List<Path> folder() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void successReplacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
        Path target = existingTarget("model.bin");
        AtomicFiles.write(target, ch -> ch.write(ByteBuffer.wrap("new".getBytes())));
        assertArrayEquals("new".getBytes(), Files.readAllBytes(target));
        assertEquals(List.of(target), folder());
    }

    @Test
    void writtenFilesAreReadableLikeOrdinaryOnesAndKeepTheReplacedFilesMode() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.getFileStore(dir)
                .supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class), "POSIX only");
        Path fresh = dir.resolve("new.bin");
        AtomicFiles.write(fresh, ch -> ch.write(ByteBuffer.wrap("new".getBytes())));
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
        Path target = existingTarget("model.bin");
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.write(target, ch -> ch.write(ByteBuffer.wrap("new".getBytes())));
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void leftoversOfKilledWritesAreRemovedButLiveOnesKept() throws IOException {
        Path target = existingTarget("model.bin");
        Path dead = Files.write(dir.resolve(".model.bin.tmp-111"), new byte[1000]);
        Path live = Files.write(dir.resolve(".model.bin.tmp-222"), new byte[1000]);
        Path other = Files.write(dir.resolve(".other.bin.tmp-333"), new byte[1000]);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(live,
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock lock = ch.lock()) {
            AtomicFiles.write(target, ch2 -> ch2.write(ByteBuffer.wrap("new".getBytes())));
        }
        assertArrayEquals("new".getBytes(), Files.readAllBytes(target));
        assertFalse(Files.exists(dead), "a temporary file nobody holds is a leftover of a killed write");
        assertTrue(Files.exists(live), "a temporary file a writer still holds must survive");
        assertTrue(Files.exists(other), "temporary files of other targets are not touched");
    }

    @Test
    void failingBodyLeavesTheTargetByteIdentical() throws IOException {
        Path target = existingTarget("model.bin");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> {
            ch.write(ByteBuffer.wrap(new byte[100_000]));
            throw new IOException("disk full");
        }));
        assertEquals("writing " + target + ": disk full (" + target + " is unchanged)", e.getMessage());
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of(target), folder());
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, ch -> {
            throw new IllegalStateException("bug");
        }));
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of(target), folder());
    }

    @Test
    void aNewFileIsNotCreatedWhenWritingFails() throws IOException {
        Path target = dir.resolve("new.bin");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, ch -> {
            throw new IOException("no");
        }));
        assertEquals(List.of(), folder());
    }

    @Test
    void aFolderIsNotATarget() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertThrows(IOException.class, () -> AtomicFiles.write(sub, ch -> { }));
    }

    static List<WeightFormatProvider> writers() {
        return List.of(new RwkvCppFormatProvider(), new SafetensorsFormatProvider(), new ContainerFormatProvider(),
                new PthFormatProvider());
    }

    /**
     * Every writer, failing mid-way: the last tensor (by name and by order) lives in memory that was released, so
     * the failure comes while streaming tensor data, after the header and the other tensors were written.
     */
    @ParameterizedTest
    @MethodSource("writers")
    void writerFailingMidwayLeavesTheTargetUntouched(WeightFormatProvider writer) throws IOException {
        Path target = existingTarget("model." + writer.name());
        Arena arena = Arena.ofShared();
        MemorySegment released = arena.allocate(64);
        arena.close();
        try (ModelWeights ref = ReferenceModels.reference("5v2")) {
            ModelWeights broken = ref.toBuilder().put(new Tensor("zzz.weight", DType.F32, new long[] {4, 4}, released))
                    .build();
            assertThrows(IllegalStateException.class, () -> writer.write(broken, target, WriteOptions.keep()));
        }
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertEquals(List.of(target), folder());
    }

    /** A tensor the format cannot hold is found before anything is written. */
    @ParameterizedTest
    @MethodSource("writers")
    void unsupportedTensorTypeLeavesTheTargetUntouched(WeightFormatProvider writer) throws IOException {
        Path target = existingTarget("model." + writer.name());
        try (ModelWeights q = new RwkvCppFormatProvider().open(ReferenceModels.bin("4v0", "Q5_1"))) {
            ModelWeights odd = q.toBuilder().put(new Tensor("scale", DType.I32, new long[] {2},
                    MemorySegment.ofArray(new byte[8]))).build();
            if (writer instanceof ContainerFormatProvider) {
                assertThrows(WeightFormatException.class, () -> writer.write(odd, target, new WriteOptions(DType.Q4_0)));
            } else {
                assertThrows(WeightFormatException.class, () -> writer.write(odd, target, WriteOptions.keep()));
            }
        }
        assertArrayEquals(OLD, Files.readAllBytes(target));
        assertTrue(folder().equals(List.of(target)));
    }
}
