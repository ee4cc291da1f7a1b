package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;

import java.nio.charset.StandardCharsets;

/**
 * The identity tokenizer of byte-level models (vocabulary 256, such as the tiny models from rwkv.cpp's test suite):
 * each token is one byte of the UTF-8 encoding of the text. Models trained on another encoding (the tiny v6 models
 * were trained on UTF-16LE) are fed with {@link #encodeBytes}.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final String NAME = "byte";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        return encodeBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** One token per byte, its unsigned value. */
    public int[] encodeBytes(byte[] bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        byte[] out = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id > 255) {
                throw new RwkvException("token id " + id + " is outside the byte tokenizer's vocabulary 0..255");
            }
            out[i] = (byte) id;
        }
        return out;
    }
}
