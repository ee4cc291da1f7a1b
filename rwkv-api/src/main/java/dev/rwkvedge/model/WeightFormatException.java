package dev.rwkvedge.model;

import dev.rwkvedge.RwkvException;

import java.nio.file.Path;

/**
 * A model file that cannot be read: wrong magic, truncated, corrupt header, a size that runs past the end of
 * the file, a forbidden pickle global. The message names the file and, where known, the tensor and byte offset.
 */
public class WeightFormatException extends RwkvException {
    private final transient Path file;
    private final String tensor;
    private final long offset;

    public WeightFormatException(Path file, String problem) {
        this(file, null, -1, problem, null);
    }

    public WeightFormatException(Path file, String tensor, long offset, String problem) {
        this(file, tensor, offset, problem, null);
    }

    public WeightFormatException(Path file, String tensor, long offset, String problem, Throwable cause) {
        super(message(file, tensor, offset, problem), cause);
        this.file = file;
        this.tensor = tensor;
        this.offset = offset;
    }

    private static String message(Path file, String tensor, long offset, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "(no file)" : file.toString());
        if (tensor != null) {
            sb.append(": tensor '").append(tensor).append('\'');
        }
        if (offset >= 0) {
            sb.append(" at byte ").append(offset);
        }
        return sb.append(": ").append(problem).toString();
    }

    public Path file() {
        return file;
    }

    /** The tensor concerned, or null. */
    public String tensor() {
        return tensor;
    }

    /** The byte offset in the file, or −1. */
    public long offset() {
        return offset;
    }
}
