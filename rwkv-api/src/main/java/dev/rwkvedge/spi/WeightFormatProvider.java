package dev.rwkvedge.spi;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Reads (and optionally writes) one model file format. Readers return tensors in the canonical layout
 * described by {@link dev.rwkvedge.model.CanonicalLayout}, memory-mapped where the file allows it.
 */
public interface WeightFormatProvider extends NamedProvider {
    /**
     * @param head the first bytes of the file (up to 4 KiB, fewer for small files), read-only, little-endian
     */
    ProbeResult probe(Path path, ByteBuffer head);

    /** Opens the file; the result owns the mapping and must be closed. */
    ModelWeights open(Path path) throws IOException, WeightFormatException;

    default boolean canWrite() {
        return false;
    }

    /**
     * Writes {@code weights} to {@code path} atomically: to a temporary file in the target folder, then moved into
     * place, so a crash never leaves a partial file under {@code path}.
     */
    default void write(ModelWeights weights, Path path, WriteOptions options) throws IOException {
        throw new UnsupportedOperationException("format '" + name() + "' cannot be written");
    }
}
