package dev.rwkvedge.generate;

import dev.rwkvedge.Session;

/**
 * What a {@link Generator} needs from a model: feed tokens, get the logits after the last one. A {@link Session}
 * is adapted by {@link #of(Session)}; tests and other front ends (a remote model, a scripted fake) implement it
 * directly.
 */
@FunctionalInterface
public interface LogitsSource {

    /**
     * Advances the model over {@code tokens} (at least one) and returns the logits after the last of them.
     */
    float[] feed(int[] tokens);

    /**
     * A source over a session: several tokens (the prompt) go through {@link Session#evalSequence} in sequence mode,
     * a single token through {@link Session#eval(int)}.
     */
    static LogitsSource of(Session session) {
        return tokens -> tokens.length == 1 ? session.eval(tokens[0]) : session.evalSequence(tokens);
    }
}
