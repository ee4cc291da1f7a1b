package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

/**
 * Calibration and evaluation text for the tiny byte-level models: the first 256 KiB of tinyshakespeare for
 * calibration and the last 64 KiB for evaluation, as byte tokens; for the v6 models, which were trained on UTF-16LE,
 * the same text encoded as UTF-16LE. Token "bytes" for bits per byte count bytes of the text (UTF-8), so the figures
 * of all versions are per byte of the same text: in UTF-16LE the low byte of a character carries its one byte and
 * the high byte none (the corpus is ASCII).
 */
final class Corpus {
    static final int CALIBRATION_BYTES = 256 * 1024;
    static final int EVAL_BYTES = 64 * 1024;

    private final byte[] text;

    private Corpus(byte[] text) {
        this.text = text;
    }

    static Corpus load() {
        try {
            return new Corpus(Files.readAllBytes(Fixtures.require("corpus/tinyshakespeare.txt")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tokens of the first {@code min(limitTokens, 256 KiB of text)} of the calibration part. */
    int[] calibration(RwkvVersion v, int limitTokens) {
        return Arrays.copyOf(encode(v, Arrays.copyOfRange(text, 0, CALIBRATION_BYTES)),
                Math.min(limitTokens, tokensFor(v, CALIBRATION_BYTES)));
    }

    /** Tokens of the last 64 KiB of text, cut to the first {@code limitTokens}. */
    int[] evaluation(RwkvVersion v, int limitTokens) {
        int[] all = encode(v, Arrays.copyOfRange(text, text.length - EVAL_BYTES, text.length));
        return Arrays.copyOf(all, Math.min(limitTokens, all.length));
    }

    /** Bytes of text each token carries (for bits per byte of the text). */
    static int[] tokenBytes(RwkvVersion v, int tokens) {
        int[] b = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            b[i] = v == RwkvVersion.V6 ? (i % 2 == 0 ? 1 : 0) : 1;
        }
        return b;
    }

    private static int tokensFor(RwkvVersion v, int bytes) {
        return v == RwkvVersion.V6 ? 2 * bytes : bytes;
    }

    private static int[] encode(RwkvVersion v, byte[] ascii) {
        byte[] bytes = v == RwkvVersion.V6
                ? new String(ascii, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16LE) : ascii;
        int[] t = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            t[i] = bytes[i] & 0xFF;
        }
        return t;
    }
}
