package dev.rwkvedge.pipeline;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

/**
 * Turns a slice of a text file into tokens for calibration or evaluation. Byte-level models read the bytes
 * themselves (re-encoded as UTF-16LE when asked: the tiny v6 models were trained on UTF-16LE text); other models
 * go through their tokenizer. Also returns how many bytes of text each token covers, for bits per byte.
 */
public final class TextData {
    /** Tokens and the text bytes each one covers. */
    public record Tokens(int[] ids, int[] bytesPerToken) {
    }

    private TextData() {
    }

    public static Tokens load(Descriptor.TextSpec spec, Tokenizer tokenizer) throws IOException {
        byte[] all = Files.readAllBytes(spec.text());
        long start = spec.start() < 0 ? Math.max(0, all.length + spec.start()) : Math.min(all.length, spec.start());
        long end = spec.bytes() > 0 ? Math.min(all.length, start + spec.bytes()) : all.length;
        byte[] slice = Arrays.copyOfRange(all, (int) start, (int) end);
        String text = decodeLenient(slice);
        int[] ids;
        int[] per;
        boolean byteLevel = tokenizer.name().equals("byte");
        if (byteLevel) {
            byte[] b = spec.encoding().equals("utf-16le") ? text.getBytes(StandardCharsets.UTF_16LE) : slice;
            ids = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                ids[i] = b[i] & 0xFF;
            }
            per = new int[ids.length];
            Arrays.fill(per, 1);
        } else {
            if (spec.encoding().equals("utf-16le")) {
                throw new RwkvException(spec.text() + ": encoding utf-16le applies to byte-level models only");
            }
            ids = tokenizer.encode(text);
            per = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                per[i] = tokenizer.decodeBytes(new int[] {ids[i]}).length;
            }
        }
        if (spec.tokens() > 0 && ids.length > spec.tokens()) {
            ids = Arrays.copyOf(ids, spec.tokens());
            per = Arrays.copyOf(per, spec.tokens());
        }
        if (ids.length < 2) {
            throw new RwkvException(spec.text() + ": the selected slice gives " + ids.length
                    + " tokens; at least 2 are needed");
        }
        return new Tokens(ids, per);
    }

    /** A slice may cut a multi-byte character at either end; those bytes are dropped, anything else malformed is an error. */
    private static String decodeLenient(byte[] b) {
        int from = 0;
        while (from < b.length && from < 3 && (b[from] & 0xC0) == 0x80) {
            from++;
        }
        int to = b.length;
        for (int back = 1; back <= 3 && to - back >= from; back++) {
            int x = b[to - back] & 0xFF;
            if ((x & 0xC0) == 0xC0) {
                int need = (x & 0xE0) == 0xC0 ? 2 : (x & 0xF0) == 0xE0 ? 3 : 4;
                if (back < need) {
                    to -= back;
                }
                break;
            }
            if ((x & 0x80) == 0) {
                break;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            throw new RwkvException("text is not valid UTF-8: " + e.getMessage());
        }
    }
}
