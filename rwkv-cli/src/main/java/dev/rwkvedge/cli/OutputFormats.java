package dev.rwkvedge.cli;

import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.WeightFormatProvider;

import java.nio.file.Path;
import java.util.Locale;

/** Picks the writer for an output file: the named format, or one implied by the file extension. */
final class OutputFormats {
    private OutputFormats() {
    }

    static WeightFormatProvider forOutput(Path out, String format) {
        String name = format;
        if (name == null || name.equals("auto")) {
            String f = out.getFileName().toString().toLowerCase(Locale.ROOT);
            if (f.endsWith(".bin")) {
                name = "rwkv-cpp";
            } else if (f.endsWith(".safetensors")) {
                name = "safetensors";
            } else if (f.endsWith(".pth")) {
                name = "pth";
            } else if (f.endsWith(".rwkv-edge") || f.endsWith(".rwkv")) {
                name = "rwkv-edge";
            } else {
                throw new IllegalArgumentException(out + ": cannot tell the format from the extension; use --format ("
                        + String.join(", ", WeightFormats.registry().available()) + ")");
            }
        }
        WeightFormatProvider p = WeightFormats.registry().forName(name);
        if (!p.canWrite()) {
            throw new IllegalArgumentException("format '" + name + "' cannot be written; writable formats: "
                    + String.join(", ", WeightFormats.registry().all().stream().filter(WeightFormatProvider::canWrite)
                    .map(WeightFormatProvider::name).toList()));
        }
        return p;
    }
}
