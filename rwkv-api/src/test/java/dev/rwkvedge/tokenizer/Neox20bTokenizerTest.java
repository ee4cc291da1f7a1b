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
import java.text.Normalizer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GPT-NeoX 20B BPE against ids produced by Hugging Face tokenizers from the same file. */
class Neox20bTokenizerTest {
    private static Neox20bTokenizer neox;

    @BeforeAll
    static void load() {
        neox = Neox20bTokenizer.load(Fixtures.require("tokenizers/20B_tokenizer.json"));
    }

    @TestFactory
    Stream<DynamicTest> referenceCasesEncodeToExactIds() {
        return ReferenceCases.load("reference/tokenizer/neox20b.json").stream().map(c -> DynamicTest.dynamicTest(
                c.label(), () -> assertArrayEquals(c.ids(), neox.encode(c.text()), "ids of " + c.label())));
    }

    @TestFactory
    Stream<DynamicTest> referenceIdsDecodeToText() {
        return ReferenceCases.load("reference/tokenizer/neox20b.json").stream().map(c -> DynamicTest.dynamicTest(
                c.label(), () -> assertEquals(c.text(), neox.decode(c.ids()))));
    }

    @Test
    void tinyShakespeareRoundTrip() {
        String text = ReferenceCases.corpus();
        long t0 = System.nanoTime();
        int[] ids = neox.encode(text);
        String back = neox.decode(ids);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("neox20b: tinyshakespeare %d chars -> %d tokens, round trip %d ms%n",
                text.length(), ids.length, ms);
        assertEquals(text, back);
        assertTrue(ms < 20_000, "round trip took " + ms + " ms");
    }

    @Test
    void decomposedInputIsNormalisedToNfcFirst() {
        // The file's normalizer is NFC, so the decomposed spelling must give the reference ids of the composed one.
        ReferenceCases.Case c = ReferenceCases.load("reference/tokenizer/neox20b.json").stream()
                .filter(x -> x.text().contains("café")).findFirst().orElseThrow();
        String nfd = Normalizer.normalize(c.text(), Normalizer.Form.NFD);
        assertTrue(!nfd.equals(c.text()), "the case must contain composable characters");
        assertArrayEquals(c.ids(), neox.encode(nfd));
    }

    @Test
    void specialAndAddedTokens() {
        // Ids from 20B_tokenizer.json's added_tokens: <|endoftext|> = 0, "  " (two spaces) = 50276.
        assertEquals(50277, neox.vocabSize());
        assertArrayEquals(new int[] {0}, neox.encode("<|endoftext|>"));
        assertEquals("<|endoftext|>", neox.decode(new int[] {0}));
        assertEquals("  ", neox.decode(new int[] {50276}));
        assertEquals(" ".repeat(24), neox.decode(new int[] {50254}));
        assertThrows(RwkvException.class, () -> neox.decode(new int[] {50277}));
    }

    @Test
    void unsupportedFileFeaturesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tok.json");
        Files.writeString(f, """
                {"normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {}, "merges": []}}""", StandardCharsets.UTF_8);
        RwkvException e = assertThrows(RwkvException.class, () -> Neox20bTokenizer.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("Lowercase"), e.getMessage());

        Files.writeString(f, "{not json", StandardCharsets.UTF_8);
        e = assertThrows(RwkvException.class, () -> Neox20bTokenizer.load(f));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }
}
