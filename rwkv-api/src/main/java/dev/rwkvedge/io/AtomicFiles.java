package dev.rwkvedge.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file so that readers only ever see the old content or the complete new content, never a partial file:
 * the bytes go to a temporary file {@code .NAME.tmp-XXXX} in the target's own folder (same file system, so the
 * final rename is atomic), are forced to the device, and the temporary file is then renamed over the target with
 * {@link StandardCopyOption#ATOMIC_MOVE}. On any failure the temporary file is deleted and an existing target is
 * left untouched. This is the contract of {@link dev.rwkvedge.spi.WeightFormatProvider#write}.
 *
 * <pre>
 *   target folder:  model.bin                 (old content, still readable)
 *                   .model.bin.tmp-123456     (being written, fsync'd)
 *   rename(2)  ──►  model.bin                 (new content, complete)
 * </pre>
 *
 * The folder is fsync'd after the rename where the platform allows it (Linux), so the rename itself survives a
 * power loss.
 *
 * <p>A process killed mid-write (SIGKILL, {@code Process.destroyForcibly()}) cannot delete its temporary file, but
 * the target is untouched and the next write of the same target removes such leftovers ({@link #removeStale}).
 * An I/O error while writing (e.g. "No space left on device") is reported naming the target.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the content of a file to an open channel positioned at 0. */
    @FunctionalInterface
    public interface Body {
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Runs {@code body} against a temporary file beside {@code target}, then moves it into place.
     *
     * @throws IOException      from the body or the file system; the target is then unchanged
     * @throws RuntimeException from the body; the target is then unchanged
     */
    public static void write(Path target, Body body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null) {
            throw new IOException(target + ": cannot write a file without a parent folder");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException(target + ": is a folder, cannot write a model file there");
        }
        String prefix = "." + absolute.getFileName() + ".tmp-";
        removeStale(folder, prefix);
        Path temp = Files.createTempFile(folder, prefix, "");
        try {
            permissions(temp, absolute);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 FileLock ignored = out.lock()) {
                try {
                    body.writeTo(out);
                    out.force(true);
                } catch (IOException e) {
                    throw new IOException("writing " + target + ": " + e.getMessage() + " (" + target
                            + " is unchanged)", e);
                }
            }
            move(temp, absolute);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        syncFolder(folder);
    }

    /**
     * Gives the temporary file the permissions the written file should have: those of the file it replaces, or
     * {@code rw-r--r--} for a new one (a model file is data others may read; {@code createTempFile} makes files
     * owner-only, which would otherwise stick to every model written). Only where POSIX permissions exist.
     */
    private static void permissions(Path temp, Path target) throws IOException {
        if (!Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
            return;
        }
        Set<PosixFilePermission> mode = Files.exists(target) ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(temp, mode);
    }

    /**
     * Deletes temporary files of earlier writes of the same target that were killed before they could clean up
     * (SIGKILL, power loss). A writer holds an exclusive lock on its temporary file until it is complete, and the
     * operating system drops that lock when the process dies, so a temporary file whose lock can be taken belongs to
     * no live writer. A file still locked (another process, or another thread of this one, is writing the same
     * target) is left alone. Best effort: nothing here fails the write.
     */
    private static void removeStale(Path folder, String prefix) {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(folder, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : stale) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
                    if (lock != null) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | OverlappingFileLockException ignored) {
                    // In use by a live writer, or already gone: not ours to remove.
                }
            }
        } catch (IOException ignored) {
            // An unreadable folder fails the write itself, with a clearer message, when the temporary file is made.
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically within " + target.getParent()
                    + ", so the file cannot be replaced safely", e);
        }
    }

    /** Forces the folder entry (the rename) to disk; not possible on every platform, so failures are ignored. */
    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows and some file systems cannot open or sync a folder; the data itself is already on disk.
        }
    }

    /** Writes the body of a file as a stream. */
    @FunctionalInterface
    public interface StreamBody {
        void write(java.io.OutputStream out) throws IOException;
    }

    /** Like {@link #write(Path, Body)} with a buffered stream over the temporary file. */
    public static void writeStream(Path target, StreamBody body) throws IOException {
        write(target, ch -> {
            java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
        });
    }
}
