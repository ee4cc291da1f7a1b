package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The World tokenizer against ids produced by ChatRWKV's reference TRIE_TOKENIZER. */
class WorldTokenizerTest {
    private static WorldTokenizer world;

    @BeforeAll
    static void load() {
        world = WorldTokenizer.load(Fixtures.require("tokenizers/rwkv_vocab_v20230424.txt"));
    }

    @TestFactory
    Stream<DynamicTest> referenceCasesEncodeToExactIds() {
        return ReferenceCases.load("reference/tokenizer/world.json").stream().map(c -> DynamicTest.dynamicTest(
                c.label(), () -> assertArrayEquals(c.ids(), world.encode(c.text()), "ids of " + c.label())));
    }

    @TestFactory
    Stream<DynamicTest> referenceIdsDecodeToText() {
        return ReferenceCases.load("reference/tokenizer/world.json").stream().map(c -> DynamicTest.dynamicTest(
                c.label(), () -> assertEquals(c.text(), world.decode(c.ids()))));
    }

    @Test
    void tinyShakespeareRoundTrip() {
        String text = ReferenceCases.corpus();
        long t0 = System.nanoTime();
        int[] ids = world.encode(text);
        String back = world.decode(ids);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("world: tinyshakespeare %d chars -> %d tokens, round trip %d ms%n",
                text.length(), ids.length, ms);
        assertEquals(text, back);
        assertTrue(ms < 20_000, "round trip took " + ms + " ms");
    }

    @Test
    void vocabularyEntriesDecodeToTheirLiterals() {
        // Lines of the file checked by hand: 11 '\n', 93 '\\', 129 b'\x80', 9804 '\u2002' (EN SPACE, E2 80 82).
        assertArrayEquals(new byte[] {'\n'}, world.decodeBytes(new int[] {11}));
        assertArrayEquals(new byte[] {'\\'}, world.decodeBytes(new int[] {93}));
        assertArrayEquals(new byte[] {(byte) 0x80}, world.decodeBytes(new int[] {129}));
        assertArrayEquals(new byte[] {(byte) 0xE2, (byte) 0x80, (byte) 0x82}, world.decodeBytes(new int[] {9804}));
        assertEquals("'", world.decode(new int[] {40}));
        assertEquals(" '", world.decode(new int[] {274}));
        assertEquals(" ".repeat(128), world.decode(new int[] {65529}));
    }

    @Test
    void idsWithoutTokenDecodeToNothingAndOutOfRangeIsAnError() {
        assertEquals(65536, world.vocabSize());
        assertEquals(0, world.decodeBytes(new int[] {0, 65535}).length);
        RwkvException e = assertThrows(RwkvException.class, () -> world.decode(new int[] {65536}));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
    }

    @Test
    void streamingDecodeOfEmojiBytesEqualsText() {
        // Reference case: "… emoji 🙂🚀" ends with single-byte tokens for the emoji's trailing bytes.
        ReferenceCases.Case c = ReferenceCases.load("reference/tokenizer/world.json").stream()
                .filter(x -> x.text().contains("🙂")).findFirst().orElseThrow();
        TextDecoder d = world.newDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : c.ids()) {
            String piece = d.accept(id);
            assertFalse(piece.contains("\uFFFD"), "piece with replacement char after id " + id);
            sb.append(piece);
        }
        assertFalse(d.hasPending());
        sb.append(d.flush());
        assertEquals(c.text(), sb.toString());
    }

    @Test
    void malformedVocabularyNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("vocab.txt");
        Files.writeString(bad, "1 'a' 1\n2 'bc' 3\n", StandardCharsets.UTF_8);
        RwkvException e = assertThrows(RwkvException.class, () -> WorldTokenizer.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("line 2"), e.getMessage());

        Files.writeString(bad, "1 'a' 1\n2 'a' 1\n", StandardCharsets.UTF_8);
        e = assertThrows(RwkvException.class, () -> WorldTokenizer.load(bad));
        assertTrue(e.getMessage().contains("same bytes as id 1"), e.getMessage());

        Path missing = dir.resolve("nope.txt");
        e = assertThrows(RwkvException.class, () -> WorldTokenizer.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void greedyLongestMatchOnSmallVocabulary(@TempDir Path dir) throws Exception {
        Path v = dir.resolve("vocab.txt");
        Files.writeString(v, "1 'a' 1\n2 'b' 1\n3 'c' 1\n4 'd' 1\n5 'ab' 2\n6 'abc' 3\n7 'bcd' 3\n8 'xyz' 3\n"
                + "9 'x' 1\n10 b'y' 1\n", StandardCharsets.UTF_8);
        WorldTokenizer t = WorldTokenizer.load(v);
        // Greedy from the left takes "abc" and leaves "d", though "a" + "bcd" is as short.
        assertArrayEquals(new int[] {6, 4}, t.encode("abcd"));
        assertArrayEquals(new int[] {5, 2}, t.encode("abb"));
        // The walk goes past "x" into "xy" (no token) and must fall back to the last token seen, "x".
        assertArrayEquals(new int[] {9, 10, 9}, t.encode("xyx"));
        assertArrayEquals(new int[] {8, 9}, t.encode("xyzx"));
        RwkvException e = assertThrows(RwkvException.class, () -> t.encode("e"));
        assertTrue(e.getMessage().contains("0x65"), e.getMessage());
    }
}
