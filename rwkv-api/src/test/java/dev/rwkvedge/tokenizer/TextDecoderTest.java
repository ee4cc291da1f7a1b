package dev.rwkvedge.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextDecoderTest {
    private final ByteTokenizer bytes = new ByteTokenizer();

    @Test
    void holdsBackPartialCharacters() {
        TextDecoder d = bytes.newDecoder();
        List<String> pieces = new ArrayList<>();
        // "aé🙂b": 61, C3 A9, F0 9F 99 82, 62
        for (int id : new int[] {0x61, 0xC3, 0xA9, 0xF0, 0x9F, 0x99, 0x82, 0x62}) {
            pieces.add(d.accept(id));
        }
        assertEquals(List.of("a", "", "é", "", "", "", "🙂", "b"), pieces);
        assertFalse(d.hasPending());
        assertEquals("", d.flush());
    }

    @Test
    void flushReplacesAnIncompleteCharacter() {
        TextDecoder d = bytes.newDecoder();
        assertEquals("x", d.accept('x'));
        assertEquals("", d.accept(0xE4));
        assertEquals("", d.accept(0xB8));
        assertTrue(d.hasPending());
        assertEquals("\uFFFD", d.flush());
        assertFalse(d.hasPending());
        // Reusable after flush.
        assertEquals("é", d.acceptBytes(new byte[] {(byte) 0xC3, (byte) 0xA9}));
    }

    @Test
    void invalidBytesAreReplacedAtOnceLikeDecode() {
        int[] ids = {0x80, 'a', 0xC3, 'b', 0xFF};
        TextDecoder d = bytes.newDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.accept(id));
        }
        sb.append(d.flush());
        assertEquals("\uFFFDa\uFFFDb\uFFFD", sb.toString());
        assertEquals(bytes.decode(ids), sb.toString());
    }

    @Test
    void growsForLongTokens() {
        TextDecoder d = bytes.newDecoder();
        byte[] big = "ü".repeat(100).getBytes(StandardCharsets.UTF_8);
        byte[] head = Arrays.copyOf(big, big.length - 1);
        assertEquals("ü".repeat(99), d.acceptBytes(head));
        assertEquals("ü", d.acceptBytes(new byte[] {big[big.length - 1]}));
    }
}
