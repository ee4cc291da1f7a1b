package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.json.JsonException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the first bytes of a file (the probe window) say about a safetensors header, for the probes of the
 * {@code safetensors} and {@code rwkv-edge} formats.
 *
 * @param plausible       the length field fits the file and the JSON starts with '{'
 * @param metadataFormat  {@code __metadata__.format} when it can be read from the window, else null
 * @param reason          a short explanation for the probe result
 */
public record SafetensorsHead(boolean plausible, String metadataFormat, String reason) {
    /** The container writer puts {@code __metadata__} first and {@code format} first in it, so a prefix suffices. */
    private static final Pattern FORMAT_PREFIX = Pattern.compile(
            "\\{\\s*\"__metadata__\"\\s*:\\s*\\{\\s*\"format\"\\s*:\\s*\"([^\"\\\\]{0,64})\"");

    /** Looks at the probe window of {@code path}. */
    public static SafetensorsHead of(Path path, ByteBuffer head) {
        ByteBuffer h = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (h.remaining() < 10 || h.get(8) != '{') {
            return new SafetensorsHead(false, null, "no JSON header after an 8-byte length");
        }
        long n = h.getLong(0);
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            size = Long.MAX_VALUE;
        }
        if (n < 2 || n > size - 8 || n > SafetensorsFile.MAX_HEADER) {
            return new SafetensorsHead(false, null, "JSON after an 8-byte length, but the length "
                    + Long.toUnsignedString(n) + " does not fit the file");
        }
        int visible = (int) Math.min(n, h.remaining() - 8);
        byte[] text = new byte[visible];
        h.get(8, text);
        String json = new String(text, StandardCharsets.UTF_8);
        String format = null;
        if (visible == n) {
            try {
                Map<String, Object> parsed = Json.parseObject(json);
                if (parsed.get("__metadata__") instanceof Map<?, ?> meta && meta.get("format") instanceof String f) {
                    format = f;
                }
            } catch (JsonException e) {
                return new SafetensorsHead(false, null, "header is not valid JSON");
            }
        } else {
            Matcher m = FORMAT_PREFIX.matcher(json);
            if (m.lookingAt()) {
                format = m.group(1);
            }
        }
        return new SafetensorsHead(true, format, "safetensors header of " + n + " bytes"
                + (format == null ? "" : ", __metadata__.format \"" + format + "\""));
    }
}
