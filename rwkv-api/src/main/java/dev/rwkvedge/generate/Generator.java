package dev.rwkvedge.generate;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.Session;
import dev.rwkvedge.sampling.Sampler;
import dev.rwkvedge.sampling.SamplerOptions;
import dev.rwkvedge.tokenizer.TextDecoder;
import dev.rwkvedge.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Generates text from a prompt, following ChatRWKV's {@code PIPELINE.generate} (rwkv/utils.py): the prompt is fed
 * in one call (sequence mode), then each step samples a token from the last logits, stops if it is a stop token,
 * records it for the penalties, streams its text, and feeds it back to the model.
 *
 * <p>Text reaches the consumer as soon as it is complete: partial UTF-8 characters are held back by a
 * {@link TextDecoder} (ChatRWKV waits while the decoded text contains U+FFFD) and possible beginnings of a stop
 * string by {@link StopStrings}. Held-back bytes are flushed when generation ends for any reason other than a stop
 * string. As in ChatRWKV, the last sampled token is not fed to the model, so the session's state has seen the prompt
 * and all generated tokens but the last; feed {@code result.tokens()}' last token to continue from there.
 *
 * <p>Each call starts with {@link Sampler#reset()}: penalties forget earlier calls and the random sequence restarts
 * from the seed, so the same prompt on the same fresh state gives the same text.
 */
public final class Generator {
    private final LogitsSource model;
    private final Tokenizer tokenizer;
    private final Sampler sampler;

    public Generator(Session session, Tokenizer tokenizer, Sampler sampler) {
        this(LogitsSource.of(session), tokenizer, sampler);
    }

    public Generator(LogitsSource model, Tokenizer tokenizer, Sampler sampler) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.sampler = sampler;
    }

    /**
     * @param onText receives the generated text piece by piece (never an empty piece)
     * @throws RwkvException if the prompt encodes to no tokens
     */
    public GenerationResult generate(String prompt, Consumer<String> onText) {
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) {
            throw new RwkvException("the prompt is empty: give at least one character of text to continue");
        }
        return generate(ids, onText);
    }

    /** Like {@link #generate(String, Consumer)} with an already tokenized prompt. */
    public GenerationResult generate(int[] promptTokens, Consumer<String> onText) {
        if (promptTokens.length == 0) {
            throw new RwkvException("the prompt is empty: give at least one token to continue");
        }
        SamplerOptions options = sampler.options();
        sampler.reset();
        TextDecoder decoder = tokenizer.newDecoder();
        StopStrings stops = new StopStrings(options.stop());
        int[] generated = new int[Math.min(options.maxTokens(), 1024)];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;

        float[] logits = model.feed(promptTokens.clone());
        while (count < options.maxTokens()) {
            maskUndecodable(logits);
            int token = sampler.sample(logits);
            if (options.stopTokens().contains(token)) {
                reason = StopReason.STOP_TOKEN;
                break;
            }
            sampler.accept(token);
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, generated.length * 2);
            }
            generated[count++] = token;
            emit(stops.push(decoder.accept(token)), onText);
            if (stops.stopped()) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (count < options.maxTokens()) {
                logits = model.feed(new int[] {token});
            }
        }
        if (!stops.stopped()) {
            emit(stops.push(decoder.flush()), onText);
            if (stops.stopped()) {
                reason = StopReason.STOP_STRING;
            }
            emit(stops.finish(), onText);
        }
        return new GenerationResult(Arrays.copyOf(generated, count), stops.text(), reason);
    }

    /**
     * A model may have more ids than its tokenizer can decode (e.g. a synthetic model with vocabulary 65536 driven
     * by the byte tokenizer); those ids are never sampled.
     */
    private void maskUndecodable(float[] logits) {
        for (int i = tokenizer.vocabSize(); i < logits.length; i++) {
            logits[i] = Float.NEGATIVE_INFINITY;
        }
    }

    private static void emit(String piece, Consumer<String> onText) {
        if (!piece.isEmpty()) {
            onText.accept(piece);
        }
    }
}
