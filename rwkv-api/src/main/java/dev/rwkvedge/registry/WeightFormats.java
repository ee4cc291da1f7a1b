package dev.rwkvedge.registry;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.ProbeResult;
import dev.rwkvedge.spi.WeightFormatProvider;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Finds the {@link WeightFormatProvider} for a file, by name or by sniffing its first bytes. */
public final class WeightFormats {
    /** How many bytes of a file the probes see. */
    public static final int HEAD_BYTES = 4096;
    private static final NamedRegistry<WeightFormatProvider> REGISTRY =
            new NamedRegistry<>(WeightFormatProvider.class, "format", WeightFormats.class.getClassLoader());

    private WeightFormats() {
    }

    public static NamedRegistry<WeightFormatProvider> registry() {
        return REGISTRY;
    }

    /** Reads the probe window of a file. */
    public static ByteBuffer head(Path path) throws IOException {
        byte[] buf;
        try (InputStream in = Files.newInputStream(path)) {
            buf = in.readNBytes(HEAD_BYTES);
        } catch (NoSuchFileException e) {
            throw new RwkvException(path + ": no such file");
        }
        return ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
    }

    /**
     * The provider that recognises {@code path} with the highest confidence.
     *
     * @throws WeightFormatException if none recognises it; the message gives every provider's reason
     */
    public static WeightFormatProvider detect(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new WeightFormatException(path, "is a folder, not a model file");
        }
        ByteBuffer head = head(path);
        WeightFormatProvider best = null;
        int bestConfidence = 0;
        StringBuilder reasons = new StringBuilder();
        for (WeightFormatProvider p : REGISTRY.all()) {
            ProbeResult r = p.probe(path, head.duplicate().order(ByteOrder.LITTLE_ENDIAN));
            reasons.append("; ").append(p.name()).append(": ").append(r.reason());
            if (r.confidence() > bestConfidence) {
                best = p;
                bestConfidence = r.confidence();
            }
        }
        if (best == null) {
            throw new WeightFormatException(path, "not a model file in any known format" + reasons);
        }
        return best;
    }

    /** Opens {@code path} with the named format, or sniffs it when {@code format} is null or {@code auto}. */
    public static ModelWeights open(Path path, String format) throws IOException {
        WeightFormatProvider p = format == null || format.equals("auto") ? detect(path) : REGISTRY.forName(format);
        if (!Files.exists(path)) {
            throw new RwkvException(path + ": no such file");
        }
        return p.open(path);
    }

    public static ModelWeights open(Path path) throws IOException {
        return open(path, null);
    }
}
