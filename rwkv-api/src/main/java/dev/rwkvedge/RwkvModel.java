package dev.rwkvedge;

import dev.rwkvedge.engine.Graph;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.ActivationObserver;
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

    private RwkvModel(ModelWeights weights, KernelBackend backend, boolean owns, ActivationObserver observer,
                      int releasePagesEvery) {
        this.weights = weights;
        this.backend = backend;
        this.owns = owns;
        this.graph = observer == null ? Graph.bind(weights, backend, releasePagesEvery)
                : Graph.bind(weights, backend, observer);
    }

    /**
     * Binds weights to a backend.
     *
     * @param owns whether closing the model closes the weights and the backend
     */
    public static RwkvModel of(ModelWeights weights, KernelBackend backend, boolean owns) {
        return new RwkvModel(weights, backend, owns, null, 0);
    }

    /**
     * Binds weights to a backend; every session then drops the pages of the on-demand tensors (the predicted-sparse
     * FFN's and the clustered head's rows) from the process's resident set every {@code releasePagesEvery} tokens it
     * evaluates ({@link LoadOptions#releasePagesEvery()}).
     *
     * @param owns whether closing the model closes the weights and the backend
     */
    public static RwkvModel of(ModelWeights weights, KernelBackend backend, boolean owns, int releasePagesEvery) {
        return new RwkvModel(weights, backend, owns, null, releasePagesEvery);
    }

    /**
     * A model whose every linear map reports its inputs and outputs to {@code observer}; for calibration runs of
     * compressors. Closing it closes neither weights nor backend.
     */
    public static RwkvModel observed(ModelWeights weights, KernelBackend backend, ActivationObserver observer) {
        return new RwkvModel(weights, backend, false, java.util.Objects.requireNonNull(observer), 0);
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

    /**
     * Parameter memory by component (stored, resident, on demand, touched per token) from the operators this model
     * bound, with the dense FP16/FP32 baseline of its shape (PAPER.md §6).
     */
    public MemoryAccount memoryAccount() {
        return MemoryAccount.of(weights, graph.config(), graph.footprints());
    }

    /** Tokens between releases of the on-demand pages (0 = never), as loaded. */
    public int releasePagesEvery() {
        return graph.releasePagesEvery();
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

    /**
     * Closes the weights and backend if the model owns them. Sessions must have finished: a session still running
     * could release pages of an address range the OS has reused.
     */
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
