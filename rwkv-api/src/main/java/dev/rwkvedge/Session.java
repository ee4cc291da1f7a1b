package dev.rwkvedge;

import dev.rwkvedge.engine.Graph;
import dev.rwkvedge.engine.Scratch;

/**
 * One conversation with a model: a {@link State} plus scratch buffers. Not thread-safe; use one session per
 * thread (sessions of one model share its weights).
 */
public final class Session {
    private final Graph graph;
    private final State state;
    private final Scratch scratch;

    Session(Graph graph, State state) {
        this.graph = graph;
        this.state = state;
        this.scratch = graph.newScratch();
    }

    /** Feeds one token; returns a new array of logits. */
    public float[] eval(int token) {
        float[] out = new float[graph.config().nVocab()];
        eval(token, out);
        return out;
    }

    /** Feeds one token and writes the logits into {@code logits} (no allocation). */
    public void eval(int token, float[] logits) {
        graph.forward(new int[] {token}, state.data(), scratch, logits, false);
    }

    /**
     * Feeds tokens in sequence mode (each weight matrix is applied to the whole chunk at once) and returns the
     * logits after the last token. The result equals feeding them one by one with {@link #eval(int)}.
     */
    public float[] evalSequence(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("evalSequence needs at least one token");
        }
        float[] out = new float[graph.config().nVocab()];
        graph.forward(tokens, state.data(), scratch, out, false);
        return out;
    }

    /** Sequence mode returning the logits after every token ({@code tokens.length × vocab}). */
    public float[][] evalSequenceAllLogits(int[] tokens) {
        if (tokens.length == 0) {
            return new float[0][];
        }
        int v = graph.config().nVocab();
        float[] flat = new float[tokens.length * v];
        graph.forward(tokens, state.data(), scratch, flat, true);
        float[][] out = new float[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            out[t] = java.util.Arrays.copyOfRange(flat, t * v, (t + 1) * v);
        }
        return out;
    }

    /** Feeds tokens without computing the head (prompt processing); cheaper than {@link #evalSequence}. */
    public void ingest(int[] tokens) {
        if (tokens.length > 0) {
            graph.forward(tokens, state.data(), scratch, null, false);
        }
    }

    /** The live state. */
    public State state() {
        return state;
    }

    /** A new session on the same model with a copy of this state; the two then diverge independently. */
    public Session copy() {
        return new Session(graph, state.copy());
    }

    public int vocabSize() {
        return graph.config().nVocab();
    }
}
