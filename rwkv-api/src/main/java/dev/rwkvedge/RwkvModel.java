package dev.rwkvedge;

import dev.rwkvedge.engine.Graph;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.KernelBackend;

/**
 * A loaded model: immutable weights bound to a kernel backend. Any number of {@link Session}s, in any threads,
 * run on one model.
 */
public final class RwkvModel implements AutoCloseable {
    private final ModelWeights weights;
    private final KernelBackend backend;
    private final boolean owns;
    private final Graph graph;

    private RwkvModel(ModelWeights weights, KernelBackend backend, boolean owns) {
        this.weights = weights;
        this.backend = backend;
        this.owns = owns;
        this.graph = Graph.bind(weights, backend);
    }

    /**
     * Binds weights to a backend.
     *
     * @param owns whether closing the model closes the weights and the backend
     */
    public static RwkvModel of(ModelWeights weights, KernelBackend backend, boolean owns) {
        return new RwkvModel(weights, backend, owns);
    }

    public ModelConfig config() {
        return graph.config();
    }

    public ModelWeights weights() {
        return weights;
    }

    public KernelBackend backend() {
        return backend;
    }

    /** A new session starting from the initial state. */
    public Session newSession() {
        return new Session(graph, State.initial(graph.config()));
    }

    /** A new session starting from a copy of {@code state}. */
    public Session newSession(State state) {
        state.checkCompatible(graph.config());
        return new Session(graph, state.copy());
    }

    @Override
    public void close() {
        if (owns) {
            try {
                backend.close();
            } finally {
                weights.close();
            }
        }
    }
}
