package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

/**
 * Predictor A of PAPER.md §3.3: {@code p = σ(P2·relu(P1·x) + bias)}, a neuron is predicted active when
 * {@code p > threshold}. The comparison is made on the logit ({@code z > ln(t/(1−t))}) so no sigmoid is evaluated.
 * A threshold ≤ 0 predicts every neuron (the dense FFN), ≥ 1 none.
 *
 * <p>P1 and P2 are the model's own tensors (views of the mapped file, or of the compressor's heap), never copied:
 * the paper keeps the predictor in FP16 (PAPER.md §6, "the MLP predictor stays fp16"), which halves what must stay
 * resident. Both products run through {@link KernelBackend#matmul}, so they follow the backend's numerical contract
 * for the stored dtype (an F16 factor sees its activation rounded to binary16, as ggml) and the {@code vector} backend
 * runs them vectorised on its worker pool; only the ReLU, the bias and the comparison are done here. The bias is F
 * floats, decoded to the heap.
 */
public final class MlpNeuronPredictor implements NeuronPredictor {
    private final Tensor p1;
    private final Tensor p2;
    private final float[] bias;
    private final int ffn;
    private final int rank;
    private final double threshold;
    private final double logitThreshold;

    /**
     * @param p1   h×C, any dtype {@link KernelBackend#matmul} multiplies (F32, F16, BF16, ggml blocks, I8 with a row
     *             scale)
     * @param p2   F×h, likewise
     * @param bias F
     */
    public MlpNeuronPredictor(Tensor p1, Tensor p2, float[] bias, double threshold) {
        for (Tensor t : new Tensor[] {p1, p2}) {
            if (t.rank() != 2) {
                throw new IllegalArgumentException("MLP predictor factor " + t + " must be a matrix");
            }
            if (t.dtype() == DType.I8 && !t.hasRowScale()) {
                throw new IllegalArgumentException("MLP predictor factor " + t.name() + " is i8 without a row scale ("
                        + Tensor.rowScaleName(t.name()) + "): raw integers, not weights");
            }
        }
        if (p2.cols() != p1.rows() || bias.length != p2.rows()) {
            throw new IllegalArgumentException("MLP predictor shapes disagree: " + p1 + ", " + p2 + ", bias "
                    + bias.length + " (expected p1 h×C, p2 F×h, bias F)");
        }
        this.p1 = p1;
        this.p2 = p2;
        this.bias = bias;
        this.rank = p1.rows();
        this.ffn = p2.rows();
        this.threshold = threshold;
        this.logitThreshold = threshold <= 0 || threshold >= 1 ? 0 : Math.log(threshold / (1 - threshold));
    }

    /** A predictor over heap F32 copies of row-major factors (p1 h×C, p2 F×h): training and tests. */
    public static MlpNeuronPredictor ofFloats(float[] p1, float[] p2, float[] bias, int embd, int ffn, double threshold) {
        int rank = p1.length / embd;
        if (p1.length != rank * embd || p2.length != (long) ffn * rank) {
            throw new IllegalArgumentException("MLP predictor shapes disagree: p1 " + p1.length + ", p2 " + p2.length
                    + " floats for C=" + embd + ", F=" + ffn);
        }
        return new MlpNeuronPredictor(Tensor.ofFloats("predictor.p1", p1, rank, embd),
                Tensor.ofFloats("predictor.p2", p2, ffn, rank), bias, threshold);
    }

    public int rank() {
        return rank;
    }

    public double threshold() {
        return threshold;
    }

    /** The logit a neuron must exceed to be predicted, {@code ln(t/(1−t))} (0 when the threshold is ≤ 0 or ≥ 1). */
    public double logitThreshold() {
        return logitThreshold;
    }

    public Tensor p1() {
        return p1;
    }

    public Tensor p2() {
        return p2;
    }

    /** The same weights with another threshold (for calibration, which tries several). */
    public MlpNeuronPredictor withThreshold(double newThreshold) {
        return new MlpNeuronPredictor(p1, p2, bias, newThreshold);
    }

    /**
     * The logits {@code P2·relu(P1·x) + bias} into {@code logits[0..F)}, using {@code hidden[0..h)} as scratch.
     * Each product has the bits {@code backend.matmul} gives for the stored dtype; the bias is added afterwards.
     */
    public void logits(KernelBackend backend, float[] x, int xOff, float[] hidden, float[] logits) {
        backend.matmul(p1, x, xOff, hidden, 0, 1);
        for (int k = 0; k < rank; k++) {
            hidden[k] = hidden[k] > 0 ? hidden[k] : 0;
        }
        backend.matmul(p2, hidden, 0, logits, 0, 1);
        for (int j = 0; j < ffn; j++) {
            logits[j] += bias[j];
        }
    }

    @Override
    public int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws) {
        if (threshold <= 0) {
            for (int j = 0; j < ffn; j++) {
                selected[j] = j;
            }
            return ffn;
        }
        if (threshold >= 1) {
            return 0;
        }
        logits(backend, x, xOff, ws.hidden, ws.scores);
        int n = 0;
        for (int j = 0; j < ffn; j++) {
            // Branch-free (a conditional move): about half the neurons pass, in no predictable pattern.
            selected[n] = j;
            n += ws.scores[j] > logitThreshold ? 1 : 0;
        }
        return n;
    }

    /**
     * Both products for the whole chunk ({@code matmul} with n tokens: P1 and P2 read once, and sequence mode gives
     * each token the bits of its single-token product), then the bias and the threshold per token as {@link #select}.
     */
    @Override
    public void selectChunk(KernelBackend backend, float[] x, int cols, int n, int ffn, int[] selected, int[] counts,
                            SparseWorkspace ws) {
        if (threshold <= 0 || threshold >= 1 || n == 1) {
            NeuronPredictor.super.selectChunk(backend, x, cols, n, ffn, selected, counts, ws);
            return;
        }
        float[] h = SparseWorkspace.chunkHidden(n * rank);
        float[] z = SparseWorkspace.chunk(n, this.ffn).scores;
        backend.matmul(p1, x, 0, h, 0, n);
        for (int k = 0; k < n * rank; k++) {
            h[k] = h[k] > 0 ? h[k] : 0;
        }
        backend.matmul(p2, h, 0, z, 0, n);
        for (int t = 0; t < n; t++) {
            int row = t * this.ffn;
            int out = t * ffn;
            int count = 0;
            for (int j = 0; j < this.ffn; j++) {
                float logit = z[row + j] + bias[j];
                selected[out + count] = j;
                count += logit > logitThreshold ? 1 : 0;
            }
            counts[t] = count;
        }
    }

    /** P1 and P2 as stored (with any row scales) and the F32 bias. */
    @Override
    public long bytesPerToken() {
        return p1.byteSizeWithScale() + p2.byteSizeWithScale() + 4L * bias.length;
    }
}
