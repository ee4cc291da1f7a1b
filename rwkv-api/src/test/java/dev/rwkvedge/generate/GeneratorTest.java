package dev.rwkvedge.generate;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.sampling.Sampler;
import dev.rwkvedge.sampling.SamplerOptions;
import dev.rwkvedge.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Generator logic against a scripted model: with greedy sampling, step {@code i} returns logits whose maximum is
 * {@code script[i]}, so the expected output is known without a real model. Tokens are bytes (ByteTokenizer).
 */
class GeneratorTest {
    private final ByteTokenizer bytes = new ByteTokenizer();

    /** Returns one-hot-ish logits for the next scripted token on each feed; records what it was fed. */
    private static final class ScriptedModel implements LogitsSource {
        final int[] script;
        final List<int[]> fed = new ArrayList<>();

        ScriptedModel(int... script) {
            this.script = script;
        }

        static ScriptedModel of(byte[] text) {
            int[] s = new int[text.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = text[i] & 0xFF;
            }
            return new ScriptedModel(s);
        }

        @Override
        public float[] feed(int[] tokens) {
            float[] logits = new float[256];
            logits[script[fed.size()]] = 10;
            fed.add(tokens.clone());
            return logits;
        }
    }

    private static SamplerOptions greedy() {
        return SamplerOptions.defaults().withTemperature(0);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private GenerationResult run(ScriptedModel model, SamplerOptions options, String prompt, List<String> pieces) {
        return new Generator(model, bytes, new Sampler(options)).generate(prompt, pieces::add);
    }

    @Test
    void stopsAtStopStringSplitAcrossTokensWithoutEmittingIt() {
        ScriptedModel m = ScriptedModel.of(utf8("Hello\nUser: more"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStop(List.of("\nUser:")), "Q", pieces);
        assertEquals("Hello", r.text());
        assertEquals("Hello", String.join("", pieces));
        assertEquals(StopReason.STOP_STRING, r.stopReason());
        assertEquals(11, r.tokenCount(), "Hello\\nUser: is 11 tokens");
        assertArrayEquals(bytes.encode("Hello\nUser:"), r.tokens());
        // Prompt in one call, then one call per sampled token except the one that completed the stop string.
        assertArrayEquals(new int[] {'Q'}, m.fed.get(0));
        assertEquals(11, m.fed.size());
        assertArrayEquals(new int[] {'H'}, m.fed.get(1));
    }

    @Test
    void heldBackStopPrefixIsReleasedWhenItDoesNotComplete() {
        ScriptedModel m = ScriptedModel.of(utf8("a\nUb"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStop(List.of("\nUser:")).withMaxTokens(4), "Q", pieces);
        assertEquals(List.of("a", "\nUb"), pieces);
        assertEquals("a\nUb", r.text());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
    }

    @Test
    void heldBackPrefixIsFlushedAtMaxTokens() {
        ScriptedModel m = ScriptedModel.of(utf8("ok\nUs"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStop(List.of("\nUser:")).withMaxTokens(5), "Q", pieces);
        assertEquals(List.of("o", "k", "\nUs"), pieces);
        assertEquals("ok\nUs", r.text());
    }

    @Test
    void earliestCompletedStopStringWins() {
        ScriptedModel m = ScriptedModel.of(utf8("hi\n\nUser: x"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStop(List.of("User:", "\n\n")), "Q", pieces);
        assertEquals("hi", r.text());
        assertEquals("hi", String.join("", pieces));
        assertEquals(4, r.tokenCount());
    }

    @Test
    void stopTokenEndsWithoutBeingKept() {
        ScriptedModel m = new ScriptedModel('h', 'i', 0, 'x');
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStopTokens(Set.of(0)), "Q", pieces);
        assertEquals("hi", r.text());
        assertArrayEquals(new int[] {'h', 'i'}, r.tokens());
        assertEquals(StopReason.STOP_TOKEN, r.stopReason());
    }

    @Test
    void maxTokensLimitsSamplingAndTheLastTokenIsNotFed() {
        ScriptedModel m = ScriptedModel.of(utf8("abcdefgh"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withMaxTokens(3), "Q", pieces);
        assertEquals("abc", r.text());
        assertEquals(List.of("a", "b", "c"), pieces);
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(3, m.fed.size(), "prompt + a + b");
    }

    @Test
    void promptIsFedInOneCall() {
        ScriptedModel m = ScriptedModel.of(utf8("x"));
        run(m, greedy().withMaxTokens(1), "héllo", new ArrayList<>());
        assertEquals(1, m.fed.size());
        assertArrayEquals(new int[] {'h', 0xC3, 0xA9, 'l', 'l', 'o'}, m.fed.get(0));
    }

    @Test
    void partialUtf8IsHeldBackThenFlushedAtTheEnd() {
        // "é" = C3 A9, then E4 (first byte of "中") and the budget runs out.
        ScriptedModel m = new ScriptedModel(0xC3, 0xA9, 0xE4);
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withMaxTokens(3), "Q", pieces);
        assertEquals(List.of("é", "\uFFFD"), pieces);
        assertEquals("é\uFFFD", r.text());
    }

    @Test
    void multiByteCharacterCompletesAcrossTokens() {
        ScriptedModel m = ScriptedModel.of(utf8("a中b中"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withMaxTokens(8), "Q", pieces);
        assertEquals(List.of("a", "中", "b", "中"), pieces);
        assertEquals("a中b中", r.text());
        for (String p : pieces) {
            assertFalse(p.contains("\uFFFD"));
        }
    }

    @Test
    void nonAsciiStopString() {
        ScriptedModel m = ScriptedModel.of(utf8("a中b"));
        List<String> pieces = new ArrayList<>();
        GenerationResult r = run(m, greedy().withStop(List.of("中")), "Q", pieces);
        assertEquals("a", r.text());
        assertEquals(List.of("a"), pieces);
        assertEquals(4, r.tokenCount());
    }

    @Test
    void sameSeedSameTextAcrossCalls() {
        // A flat distribution over 'a'..'z': every call restarts the sampler from its seed.
        float[] flat = new float[256];
        for (int c = 0; c < 256; c++) {
            flat[c] = c >= 'a' && c <= 'z' ? 0 : Float.NEGATIVE_INFINITY;
        }
        LogitsSource model = tokens -> flat.clone();
        Generator g = new Generator(model, bytes, new Sampler(SamplerOptions.defaults().withTopP(1).withSeed(9)
                .withMaxTokens(40)));
        String first = g.generate("Q", s -> { }).text();
        String second = g.generate("Q", s -> { }).text();
        assertEquals(40, first.length());
        assertEquals(first, second);
        Generator other = new Generator(model, bytes, new Sampler(SamplerOptions.defaults().withTopP(1).withSeed(10)
                .withMaxTokens(40)));
        assertFalse(first.equals(other.generate("Q", s -> { }).text()));
    }

    @Test
    void emptyPromptIsRejected() {
        Generator g = new Generator(new ScriptedModel('a'), bytes, new Sampler(greedy()));
        assertThrows(RwkvException.class, () -> g.generate("", s -> { }));
    }
}
