package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteTokenizerTest {
    private final ByteTokenizer bytes = new ByteTokenizer();

    @Test
    void nonAsciiTextIsItsUtf8Bytes() {
        // "é" = C3 A9, "中" = E4 B8 AD, "🙂" = F0 9F 99 82 (Unicode code charts).
        int[] expected = {'a', 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x99, 0x82};
        assertArrayEquals(expected, bytes.encode("aé中🙂"));
        assertEquals("aé中🙂", bytes.decode(expected));
        assertEquals(256, bytes.vocabSize());
    }

    @Test
    void rawBytesPassThrough() {
        // UTF-16LE of "hi" for the v6 tiny models.
        assertArrayEquals(new int[] {'h', 0, 'i', 0}, bytes.encodeBytes(new byte[] {'h', 0, 'i', 0}));
        assertArrayEquals(new byte[] {(byte) 0xFF, 0}, bytes.decodeBytes(new int[] {255, 0}));
    }

    @Test
    void idsOutsideByteRangeAreRejected() {
        assertThrows(RwkvException.class, () -> bytes.decode(new int[] {256}));
        assertThrows(RwkvException.class, () -> bytes.decode(new int[] {-1}));
    }

    @Test
    void tinyShakespeareRoundTrip() throws Exception {
        byte[] raw = Files.readAllBytes(Fixtures.require("corpus/tinyshakespeare.txt"));
        String text = ReferenceCases.corpus();
        int[] ids = bytes.encode(text);
        assertEquals(raw.length, ids.length);
        assertEquals(text, bytes.decode(ids));
    }
}
