package dev.rwkvedge.engine;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.DirectEmbedding;
import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * An RWKV model bound to a kernel backend: embedding, the layers of its version, and the head. Immutable and
 * shared by sessions; all mutable data lives in the caller's state vector and {@link Scratch}.
 *
 * <p>Tokens are processed in chunks of up to {@link #CHUNK}: each layer runs over the whole chunk, so every
 * weight matrix is applied to all the chunk's tokens in one {@link KernelBackend#matmul} (sequence mode), and the
 * recurrent parts run token by token inside the layer. With a backend whose batched product equals its
 * single-token product, sequence mode gives the bits of serial mode.
 *
 * <p>Input rows (embedding with ln0 applied) come from an {@link EmbeddingSource}: {@code direct} by default, or one
 * an operator provider binds from the model's metadata, such as the {@code cached} LRU (PAPER.md §5).
 */
public final class Graph {
    /** Tokens per sequence-mode chunk; bounds scratch memory. */
    public static final int CHUNK = 32;

    private final ModelConfig config;
    private final KernelBackend backend;
    private final EmbeddingSource embedding;
    private final LinearOperator head;
    private final float[] lnOutW, lnOutB;
    private final Block[] blocks;
    private final int maxLora;
    private final int maxOpScratch;
    private final List<Footprint> footprints;
    private final PageReleaseSchedule pages;

    private Graph(ModelWeights weights, KernelBackend backend, ActivationObserver observer, int releasePagesEvery) {
        this.config = ModelConfig.of(weights);
        this.backend = backend;
        Binder b = new Binder(weights, config, backend, observer);
        int c = config.nEmbd();
        Tensor emb = b.mat("emb.weight", config.nVocab(), c);
        head = b.linear("head.weight", config.nVocab(), c);
        float[] ln0w = b.vec("blocks.0.ln0.weight", c);
        float[] ln0b = b.vec("blocks.0.ln0.bias", c);
        embedding = Operators.embedding(weights, new DirectEmbedding(backend, emb, ln0w, ln0b, config.layerNormEps()));
        lnOutW = b.vec("ln_out.weight", c);
        lnOutB = b.vec("ln_out.bias", c);
        blocks = new Block[config.nLayer()];
        int lora = 1;
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = switch (config.version()) {
                case V4 -> new V4Block(b, l);
                case V5_1, V5_2 -> new V5Block(b, l);
                case V6 -> new V6Block(b, l);
                case V7 -> new V7Block(b, l);
            };
            if (blocks[l] instanceof V6Block v6) {
                lora = Math.max(lora, v6.maxLora());
            } else if (blocks[l] instanceof V7Block v7) {
                lora = Math.max(lora, v7.maxLora());
            }
        }
        maxLora = lora;
        maxOpScratch = b.maxOpScratch();
        List<Footprint> fp = new ArrayList<>(b.footprints());
        fp.add(embedding.footprint());
        footprints = List.copyOf(fp);
        pages = PageReleaseSchedule.of(releasePagesEvery, weights, config.nLayer(), footprints);
    }

    /**
     * @throws dev.rwkvedge.model.WeightFormatException if a tensor is missing or has the wrong shape
     */
    public static Graph bind(ModelWeights weights, KernelBackend backend) {
        return new Graph(weights, backend, null, 0);
    }

    /**
     * Binds and drops the on-demand tensors' pages from the resident set every {@code releasePagesEvery} tokens a
     * session evaluates ({@link PageReleaseSchedule}); 0 never does.
     */
    public static Graph bind(ModelWeights weights, KernelBackend backend, int releasePagesEvery) {
        return new Graph(weights, backend, null, releasePagesEvery);
    }

    /** Binds with every linear map reporting to {@code observer} (calibration). */
    public static Graph bind(ModelWeights weights, KernelBackend backend, ActivationObserver observer) {
        return new Graph(weights, backend, observer, 0);
    }

    public ModelConfig config() {
        return config;
    }

    public KernelBackend backend() {
        return backend;
    }

    /** What each bound operator and the embedding source hold (resident, on demand), for the memory account. */
    public List<Footprint> footprints() {
        return footprints;
    }

    /** Tokens between page releases of the on-demand tensors; 0 = never. */
    public int releasePagesEvery() {
        return pages.every();
    }

    /** How many on-demand file-mapped tensors are released; 0 when release is off. */
    public int releasedTensorCount() {
        return pages.segmentCount();
    }

    public Scratch newScratch() {
        return new Scratch(config, maxLora, maxOpScratch);
    }

    /**
     * Runs {@code tokens} through the model, updating {@code state}.
     *
     * @param logits    null to skip the head; else receives the logits of the last token, or with {@code all}
     *                  the logits of every token ({@code tokens.length × vocab})
     */
    public void forward(int[] tokens, float[] state, Scratch s, float[] logits, boolean all) {
        int c = config.nEmbd();
        int v = config.nVocab();
        for (int tok : tokens) {
            if (tok < 0 || tok >= v) {
                throw new RwkvException("token id " + tok + " is outside the vocabulary (0.." + (v - 1) + ")");
            }
        }
        for (int start = 0; start < tokens.length; start += CHUNK) {
            int n = Math.min(CHUNK, tokens.length - start);
            for (int t = 0; t < n; t++) {
                embedding.lookup(tokens[start + t], s.x, t * c);
            }
            boolean release = pages.due(s, n);
            for (int l = 0; l < blocks.length; l++) {
                blocks[l].forward(n, s, state);
                if (release) {
                    pages.releaseLayer(l);
                }
            }
            if (logits != null) {
                if (all) {
                    for (int t = 0; t < n; t++) {
                        backend.layerNorm(s.x, t * c, s.headIn, t * c, c, lnOutW, lnOutB, config.layerNormEps());
                    }
                    head.apply(backend, s.headIn, 0, logits, start * v, n, s.opScratch);
                } else if (start + n == tokens.length) {
                    backend.layerNorm(s.x, (n - 1) * c, s.headIn, 0, c, lnOutW, lnOutB, config.layerNormEps());
                    head.apply(backend, s.headIn, 0, logits, 0, 1, s.opScratch);
                }
            }
            if (release) {
                pages.releaseRest();
            }
        }
    }
}
