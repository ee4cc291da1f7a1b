package dev.rwkvedge.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Streaming UTF-8 decoding of a token sequence: accepts ids one at a time and returns only the characters that
 * are complete so far, holding back the bytes of a character split across tokens until its last byte arrives.
 *
 * <p>This is the Java form of what ChatRWKV's {@code PIPELINE.generate} (rwkv/utils.py) does by re-decoding the
 * pending tokens and waiting while the result contains U+FFFD; here a {@link CharsetDecoder} keeps the incomplete
 * tail instead, so each byte is decoded once. Bytes that can never become valid UTF-8 are replaced by U+FFFD at
 * once, exactly as {@link Tokenizer#decode} would replace them, so the concatenation of every returned piece and
 * {@link #flush()} equals {@code tokenizer.decode(allIds)}.
 *
 * <p>Not thread-safe: one decoder per generation.
 */
public final class TextDecoder {
    private final Tokenizer tokenizer;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);

    public TextDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token; returns the characters completed by it (possibly empty). */
    public String accept(int id) {
        return acceptBytes(tokenizer.decodeBytes(new int[] {id}));
    }

    /** Adds raw bytes; returns the characters completed by them (possibly empty). */
    public String acceptBytes(byte[] bytes) {
        if (pending.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(bytes);
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
        utf8.decode(pending, out, false);
        pending.compact();
        return out.flip().toString();
    }

    /** True when bytes of an incomplete character are being held back. */
    public boolean hasPending() {
        return pending.position() > 0;
    }

    /**
     * Ends the stream: returns the held-back bytes decoded (an incomplete character becomes U+FFFD) and resets the
     * decoder for reuse.
     */
    public String flush() {
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        utf8.decode(pending, out, true);
        utf8.flush(out);
        utf8.reset();
        pending.clear();
        return out.flip().toString();
    }
}
