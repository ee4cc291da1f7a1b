package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generate and tokenize from the command line. */
class TextCommandsTest {
    @Test
    void generatePrintsTextFromTinyV7() throws IOException {
        String model = Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP32.bin").toString();
        CliRunner r = CliRunner.run("generate", model, "--prompt", "The ", "--max-tokens", "16", "--temperature", "0",
                "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        // rwkv.cpp's greedy continuation of "The " for this model (reference manifest): "the the the the ".
        assertEquals("the the the the", r.out().strip());
    }

    @Test
    @SuppressWarnings("unchecked")
    void tokenizePrintsReferenceIdsForBothTokenizers() throws IOException {
        String dir = Fixtures.require("tokenizers").toString();
        for (String name : new String[] {"world", "neox20b"}) {
            Map<String, Object> ref = Json.parseObject(Files.readString(Fixtures.require("reference/tokenizer/" + name + ".json")));
            for (Object c : (List<Object>) ref.get("cases")) {
                Map<String, Object> cs = (Map<String, Object>) c;
                String text = (String) cs.get("text");
                String ids = ((List<Object>) cs.get("ids")).stream().map(String::valueOf).collect(Collectors.joining(","));
                CliRunner r = CliRunner.run("tokenize", "--tokenizer", name, "--vocab", dir, "--text", text);
                assertEquals(0, r.code(), r.err());
                assertEquals(ids, r.out().strip(), name + ": " + text);
                CliRunner back = CliRunner.run("tokenize", "--tokenizer", name, "--vocab", dir, "--text", ids, "--decode");
                assertEquals(text + System.lineSeparator(), back.out(), name + " decode");
            }
        }
    }

    @Test
    void unknownTokenizerListsAvailable() {
        CliRunner r = CliRunner.run("tokenize", "--tokenizer", "klingon", "--text", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("byte") && r.err().contains("world"), r.err());
    }
}
