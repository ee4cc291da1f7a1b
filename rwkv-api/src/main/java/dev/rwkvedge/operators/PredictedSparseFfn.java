package dev.rwkvedge.operators;

import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

/**
 * Operator {@code predicted-sparse} (DESIGN.md §4, PAPER.md §3): the predictor picks the neurons (its MLP products on
 * the backend passed to {@link #apply}, see {@link MlpNeuronPredictor}), then only their
 * key rows are dotted with x, squared-ReLU'd, and only the value rows (the transposed value, stored neuron-major,
 * PAPER.md §3.6) of neurons that came out positive are accumulated into the output. No full product and no mask:
 * untouched rows of the mapped file are never read, so the OS never pages them in.
 *
 * <p>Sequence mode (a chunk of n prompt tokens) keeps every token's selection and bits but may read the key rows
 * differently: when n times the expected share of predicted rows reaches one whole key matrix, one dense pass over
 * the key matrix for the chunk (the backend's matrix-matrix product, each row read once for all n tokens) replaces
 * n predicted subsets read one token at a time; and the predictors run once for the chunk
 * ({@link NeuronPredictor#selectChunk}: the MLP's two products and the sign scores as matrix-matrix products, each
 * weight read once); each value row that some token of the chunk activated is read once and added to all of those
 * tokens ({@link KernelBackend#accumulateRowsChunk}, the tokens receiving their rows in the order a single token
 * adds them).
 *
 * <p>The key products and the value accumulation run on the backend passed to {@link #apply}
 * ({@link KernelBackend#rowDots}, {@link KernelBackend#accumulateRows}), so the {@code vector} backend computes them
 * with its SIMD row kernels; this class keeps the selection, the squared ReLU and the traffic account.
 *
 * <p>Numerics follow the backend's dense products row by row: each key product has the bits of that row in the
 * backend's own dense product. On the scalar backend F16 weights see the activation rounded to binary16 (for the key:
 * x; for the value: the hidden activation), sums run in float32 in ascending index order, and each output element
 * adds the neurons in ascending order, exactly as the dense value product does. A neuron the dense FFN would include
 * with relu² = 0 adds ±0, which never changes a float sum, so with every neuron predicted the output is bit-identical
 * to {@link DenseFfn} on the scalar backend (other backends may sum in another order or fuse the multiply-add: equal
 * within float tolerance).
 *
 * <p>Quantized rows (the {@code quantize} step may make them any ggml block type or per-row INT8) follow the same
 * contract ({@code KernelBackend}): a Q8_0, Q4_0 or Q5_0 key row is dotted with x quantized to Q8_0 blocks once per
 * token (Q4_1/Q5_1 rows: Q8_1 blocks, adding the minimum term),
 * {@code Σ_b d_w·d_x·Σ q_w·q_x}; an INT8 key row gives {@code scale_j·Σ q·x} with x in float. The value rows are
 * neuron-major, so there is no 32-block of the hidden activation to quantize: a quantized value row is dequantized
 * ({@link Tensor#readRow}: ggml blocks or {@code scale_j·q}) and scaled by the float {@code h_j}, which is exactly
 * what a model holding those dequantized rows as F32 computes.
 */
public final class PredictedSparseFfn implements FfnOperator {
    private final NeuronPredictor predictor;
    private final Tensor key;
    private final Tensor valueT;
    private final int embd;
    private final int ffn;
    private final int mlpRank;
    private final FfnTraffic traffic = new FfnTraffic();
    private final ThreadLocal<SparseWorkspace> workspace;
    private final Footprint predictorTensors;
    private final double keyShare;
    private final double valueShare;

    /**
     * @param key    F×C, F32, F16, BF16, a ggml block type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) or I8 with a row scale
     * @param valueT F×C (value transposed), same choice of types
     */
    public PredictedSparseFfn(NeuronPredictor predictor, Tensor key, Tensor valueT, int mlpRank) {
        this(predictor, key, valueT, mlpRank, Footprint.NONE, Double.NaN, Double.NaN);
    }

    /**
     * @param predictorTensors the predictor's tensors and how it holds them (all resident), for the memory account
     * @param keyShare         expected share of key rows read per token (the predicted density), NaN when unknown
     * @param valueShare       expected share of value rows read per token (predicted and active), NaN when unknown
     */
    public PredictedSparseFfn(NeuronPredictor predictor, Tensor key, Tensor valueT, int mlpRank,
                              Footprint predictorTensors, double keyShare, double valueShare) {
        if (key.rank() != 2 || valueT.rank() != 2 || key.rows() != valueT.rows() || key.cols() != valueT.cols()) {
            throw new IllegalArgumentException("sparse FFN needs key and transposed value of one shape F×C, got "
                    + key + " and " + valueT);
        }
        for (Tensor t : new Tensor[] {key, valueT}) {
            boolean ok = t.dtype().isFloat() || t.dtype().isQuantized() || t.dtype() == DType.I8 && t.hasRowScale();
            if (!ok) {
                throw new IllegalArgumentException("sparse FFN rows must be F32, F16, BF16, a ggml block type or I8 with a row "
                        + "scale, " + t + " is not");
            }
        }
        this.predictor = predictor;
        this.key = key;
        this.valueT = valueT;
        this.ffn = key.rows();
        this.embd = key.cols();
        this.mlpRank = mlpRank;
        this.workspace = ThreadLocal.withInitial(() -> new SparseWorkspace(embd, ffn, this.mlpRank));
        this.predictorTensors = predictorTensors;
        this.keyShare = keyShare;
        this.valueShare = valueShare;
    }

    public NeuronPredictor predictor() {
        return predictor;
    }

    /** Counters of what this operator read, for bytes-per-token and sparsity accounting. */
    public FfnTraffic traffic() {
        return traffic;
    }

    public Tensor key() {
        return key;
    }

    public Tensor valueT() {
        return valueT;
    }

    /** Bytes of the dense key and value, i.e. what a dense FFN reads per token. */
    public long denseBytesPerToken() {
        return key.byteSizeWithScale() + valueT.byteSizeWithScale();
    }

    @Override
    public void apply(KernelBackend backend, float[] x, float[] out, int n, float[] hidden, float[] scratch) {
        SparseWorkspace ws = workspace.get();
        boolean chunkKeys = n > 1 && hidden.length >= n * ffn && chunkKeys(n);
        if (chunkKeys) {
            // Sequence mode: one pass over every key row for the whole chunk (the backend's matrix-matrix product
            // reads each row once for all n tokens) instead of the predicted rows once per token. Each entry has
            // the bits rowDots gives for that row and token (KernelBackend: a listed row equals its row of the dense
            // product, and sequence mode equals single tokens), so the chunk computes exactly what n single tokens
            // compute; only the rows read differ.
            backend.matmul(key, x, 0, hidden, 0, n);
        }
        SparseWorkspace.ChunkBuffers c = null;
        if (n > 1) {
            // The predictors run once for the chunk (their weights read once), each token's selection as alone.
            c = SparseWorkspace.chunk(n, ffn);
            predictor.selectChunk(backend, x, embd, n, ffn, c.selected, c.counts, ws);
        }
        if (n == 1 || hidden.length < (long) n * ffn) {
            for (int t = 0; t < n; t++) {
                int count;
                if (n > 1) {
                    count = c.counts[t];
                    System.arraycopy(c.selected, t * ffn, ws.selected, 0, count);
                } else {
                    count = predictor.select(backend, x, t * embd, ws.selected, ws);
                }
                int active = token(backend, x, t * embd, ws, count, chunkKeys ? hidden : null, t * ffn);
                java.util.Arrays.fill(out, t * embd, (t + 1) * embd, 0f);
                backend.accumulateRows(valueT, ws.active, ws.coef, active, out, t * embd);
                long keyBytes = chunkKeys ? key.byteSizeWithScale() / n : count * key.rowBytesWithScale();
                traffic.record(count, active, predictor.bytesPerToken() + keyBytes + active * valueT.rowBytesWithScale());
            }
            return;
        }
        valueRowsOnce(backend, x, out, n, hidden, ws, c, chunkKeys);
    }

    /**
     * Sequence mode's value rows, each read once for the chunk: every token's active neurons and coefficients as
     * alone ({@link #token}), held in {@code hidden} (n × F, after the token's key products were read from it; NaN
     * marks a neuron the token does not activate: an active coefficient is never NaN, and may be 0 when relu²
     * underflows, which a zero test would drop), then grouped by row in ascending order and added by
     * {@link KernelBackend#accumulateRowsChunk}: each token receives its rows in the order {@link #token}'s caller
     * adds them, so it gets the same bits. The traffic account counts the chunk's value rows once, shared by its
     * tokens.
     */
    private void valueRowsOnce(KernelBackend backend, float[] x, float[] out, int n, float[] hidden, SparseWorkspace ws,
                               SparseWorkspace.ChunkBuffers c, boolean chunkKeys) {
        int[] predicted = c.counts;
        int[] activeCounts = c.otherCounts;
        int entries = 0;
        for (int t = 0; t < n; t++) {
            int count = predicted[t];
            System.arraycopy(c.selected, t * ffn, ws.selected, 0, count);
            int row = t * ffn;
            int active = token(backend, x, t * embd, ws, count, chunkKeys ? hidden : null, row);
            java.util.Arrays.fill(hidden, row, row + ffn, Float.NaN);
            for (int a = 0; a < active; a++) {
                hidden[row + ws.active[a]] = ws.coef[a];
            }
            activeCounts[t] = active;
            entries += active;
        }
        // One spare entry: the branch-free scan below writes the next slot before it knows whether to keep it.
        SparseWorkspace.ChunkBuffers g = SparseWorkspace.groups(ffn, entries + 1);
        int groups = 0;
        int e = 0;
        for (int j = 0; j < ffn; j++) {
            int first = e;
            for (int t = 0; t < n; t++) {
                float h = hidden[t * ffn + j];
                g.entryTokens[e] = t;
                g.entryCoef[e] = h;
                e += h == h ? 1 : 0;
            }
            g.groupRows[groups] = j;
            g.groupStart[groups] = first;
            groups += e > first ? 1 : 0;
        }
        g.groupStart[groups] = e;
        java.util.Arrays.fill(out, 0, n * embd, 0f);
        backend.accumulateRowsChunk(valueT, g.groupRows, groups, g.groupStart, g.entryTokens, g.entryCoef, out, 0,
                embd);
        long valueBytes = groups * valueT.rowBytesWithScale() / n;
        for (int t = 0; t < n; t++) {
            long keyBytes = chunkKeys ? key.byteSizeWithScale() / n : predicted[t] * key.rowBytesWithScale();
            traffic.record(predicted[t], activeCounts[t], predictor.bytesPerToken() + keyBytes + valueBytes);
        }
    }

    /**
     * Whether a chunk of {@code n} tokens reads fewer key bytes as one dense pass than as n predicted subsets: when
     * n times the expected share of predicted rows reaches one whole matrix. The share is the one the
     * {@code sparsity} step measured (metadata), else what this operator has selected so far, else 1.
     */
    private boolean chunkKeys(int n) {
        double share = keyShare;
        if (!(share > 0)) {
            long tokens = traffic.tokens();
            share = tokens == 0 ? 1 : (double) traffic.predictedNeurons() / ((double) tokens * ffn);
        }
        return n * share >= 1;
    }

    /**
     * One token whose {@code count} predicted neurons are in {@code ws.selected}: the key products of the predicted
     * rows (from {@code keys[ko + j]} when the chunk's dense pass computed them, else through
     * {@link KernelBackend#rowDots}), squared ReLU; the active neurons and their coefficients into {@code ws.active},
     * {@code ws.coef} (ascending). Returns how many are active.
     */
    private int token(KernelBackend backend, float[] x, int xo, SparseWorkspace ws, int count, float[] keys, int ko) {
        if (keys == null) {
            backend.rowDots(key, ws.selected, count, x, xo, ws.dots);
        } else {
            for (int s = 0; s < count; s++) {
                ws.dots[s] = keys[ko + ws.selected[s]];
            }
        }
        boolean valueF16 = valueT.dtype() == DType.F16;
        int active = 0;
        for (int s = 0; s < count; s++) {
            float dot = ws.dots[s];
            if (!(dot > 0)) {
                continue;
            }
            float h = dot * dot;
            if (valueF16) {
                h = Half.roundToF16(h);
            }
            ws.active[active] = ws.selected[s];
            ws.coef[active] = h;
            active++;
        }
        return active;
    }

    @Override
    public String kind() {
        return "predicted-sparse";
    }

    /**
     * The predictor is resident (it runs for every token); the key and transposed value rows are on demand
     * (PAPER.md §3.6), of which the expected shares measured by the {@code sparsity} step are read per token.
     */
    @Override
    public Footprint footprint() {
        return predictorTensors.plus(Footprint.onDemand(key, keyShare)).plus(Footprint.onDemand(valueT, valueShare));
    }
}
