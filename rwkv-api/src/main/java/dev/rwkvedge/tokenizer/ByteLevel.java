package dev.rwkvedge.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible byte ↔ character map ({@code bytes_to_unicode} in openai/gpt-2 encoder.py, the
 * {@code ByteLevel} pre-tokenizer and decoder of Hugging Face tokenizers). Byte-level BPE vocabularies store
 * tokens as strings of these characters so that every byte sequence, valid UTF-8 or not, has a printable form:
 * the printable Latin-1 bytes {@code !..~}, {@code ¡..¬}, {@code ®..ÿ} map to themselves and the other 68 bytes to
 * U+0100 onwards, in byte order.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The byte-level string of raw bytes: one character per byte. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The byte-level character of one byte. */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /**
     * The bytes a token string stands for, as the Hugging Face {@code ByteLevel} decoder computes them: each
     * character mapped back to its byte, or, if any character is outside the map (added tokens such as runs of
     * spaces are stored as plain text), the token's own UTF-8 bytes.
     */
    static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return token.getBytes(StandardCharsets.UTF_8);
            }
            out.write(b);
        }
        return out.toByteArray();
    }
}
