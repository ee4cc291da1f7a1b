package dev.rwkvedge.tokenizer;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizersTest {

    @Test
    void unknownNameListsTheAvailableOnes() {
        RwkvException e = assertThrows(RwkvException.class, () -> Tokenizers.forName("gpt2", null));
        assertTrue(e.getMessage().contains("'gpt2'") && e.getMessage().contains("byte, world, neox20b"),
                e.getMessage());
    }

    @Test
    void missingVocabularySaysWhichFileIsNeeded(@TempDir Path dir) {
        String old = System.clearProperty(Tokenizers.VOCAB_DIR_PROPERTY);
        try {
            RwkvException e = assertThrows(RwkvException.class, () -> Tokenizers.forName("world", null));
            assertTrue(e.getMessage().contains("--vocab") && e.getMessage().contains("rwkv_vocab_v20230424.txt"),
                    e.getMessage());
            e = assertThrows(RwkvException.class, () -> Tokenizers.forName("neox20b", dir));
            assertTrue(e.getMessage().contains("--vocab") && e.getMessage().contains("20B_tokenizer.json")
                    && e.getMessage().contains(dir.toString()), e.getMessage());
        } finally {
            if (old != null) {
                System.setProperty(Tokenizers.VOCAB_DIR_PROPERTY, old);
            }
        }
    }

    @Test
    void byVocabSize() {
        Path dir = Fixtures.require("tokenizers");
        assertInstanceOf(ByteTokenizer.class, Tokenizers.forVocabSize(256, null));
        assertInstanceOf(WorldTokenizer.class, Tokenizers.forVocabSize(65536, dir));
        for (int n : new int[] {50277, 50254, 50432}) {
            assertInstanceOf(Neox20bTokenizer.class, Tokenizers.forVocabSize(n, dir.resolve("20B_tokenizer.json")));
        }
        RwkvException e = assertThrows(RwkvException.class, () -> Tokenizers.forVocabSize(32000, null));
        assertTrue(e.getMessage().contains("32000") && e.getMessage().contains("--tokenizer"), e.getMessage());
    }

    @Test
    void defaultVocabularyDirectoryFromSystemProperty() {
        Path dir = Fixtures.require("tokenizers");
        String old = System.setProperty(Tokenizers.VOCAB_DIR_PROPERTY, dir.toString());
        try {
            Tokenizer t = Tokenizers.forName("world", null);
            assertEquals("world", t.name());
            assertEquals(65536, t.vocabSize());
        } finally {
            if (old == null) {
                System.clearProperty(Tokenizers.VOCAB_DIR_PROPERTY);
            } else {
                System.setProperty(Tokenizers.VOCAB_DIR_PROPERTY, old);
            }
        }
    }
}
