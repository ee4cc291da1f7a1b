package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.SignBits;
import dev.rwkvedge.tensor.Tensor;

/**
 * Predictor B of PAPER.md §3.4: the key quantized to one bit per weight with the per-tensor midpoint
 * ({@code b_ij = 1 iff w_ij ≥ (min+max)/2}). The dequantized score {@code m·Σx + (M−m)·(x·b_j)} ranks neurons exactly
 * as {@code x·b_j}, so only that is computed. Neurons whose score reaches the per-token {@code quantile} of the F
 * scores are predicted active, i.e. the top {@code k = ⌈(1−q)·F⌉} (the paper's Python takes one quantile per chunk;
 * this is the per-token form the paper notes as slightly different).
 *
 * <p>The scores run on the backend ({@link KernelBackend#signDots}): the reference builds a byte lookup table of
 * partial sums and reads it once per 8 inputs ({@link SignBits}); the {@code vector} backend adds the inputs under
 * masks made from the bits, on its worker threads. The bits stay a view of the model's memory.
 */
public final class SignNeuronPredictor implements NeuronPredictor {
    private final Tensor bits;
    private final int embd;
    private final int ffn;
    private final double quantile;
    private final int keep;

    /**
     * @param bits F rows of {@code ⌈C/8⌉} bytes; bit i of byte b is column 8b+i
     */
    public SignNeuronPredictor(byte[] bits, int embd, int ffn, double quantile) {
        this(SignBits.tensor("sign", bits, embd, ffn), embd, ffn, quantile);
    }

    /** @param bits the packed bits as an I8 tensor F × ⌈C/8⌉ (see {@link SignBits}), e.g. a view of the model file */
    public SignNeuronPredictor(Tensor bits, int embd, int ffn, double quantile) {
        if (SignBits.checkShape(bits, embd) != ffn) {
            throw new IllegalArgumentException("sign bits have " + bits.rows() + " rows, expected " + ffn);
        }
        this.bits = bits;
        this.embd = embd;
        this.ffn = ffn;
        this.quantile = quantile;
        this.keep = keepCount(quantile, ffn);
    }

    /** Neurons kept per token at quantile {@code q}: {@code ⌈(1−q)·F⌉} (with slack for q stored as float32), clamped to [0, F]. */
    public static int keepCount(double q, int ffn) {
        if (q <= 0) {
            return ffn;
        }
        if (q >= 1) {
            return 0;
        }
        return Math.min(ffn, (int) Math.ceil((1 - q) * ffn - 1e-3));
    }

    /** Packs the sign bits of a key given as F rows of C floats, with the midpoint of its range ({@link SignBits#pack}). */
    public static byte[] pack(float[] key, int embd, int ffn, float midpoint) {
        return SignBits.pack(key, embd, ffn, midpoint);
    }

    public double quantile() {
        return quantile;
    }

    /** The reference scores {@code x·b_j} into {@code scores[0..F)}; {@code lut} holds at least {@code ⌈C/8⌉·256} floats. */
    public void scores(float[] x, int xOff, float[] lut, float[] scores) {
        SignBits.scores(bits.data(), ffn, embd, x, xOff, lut, scores);
    }

    /** Scores on {@code backend} ({@link KernelBackend#signDots}), then the top {@code keep}. */
    @Override
    public int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws) {
        if (keep >= ffn) {
            for (int j = 0; j < ffn; j++) {
                selected[j] = j;
            }
            return ffn;
        }
        if (keep == 0) {
            return 0;
        }
        backend.signDots(bits, embd, x, xOff, ws.scores);
        return TopK.select(ws.scores, 0, ffn, keep, ws.select, selected);
    }

    /**
     * The scores of the whole chunk in one {@link KernelBackend#signDots} call (each row of bits read once, each
     * token's scores the bits of its single-token call), then the top {@code keep} per token as {@link #select}.
     */
    @Override
    public void selectChunk(KernelBackend backend, float[] x, int cols, int n, int ffn, int[] selected, int[] counts,
                            SparseWorkspace ws) {
        if (keep >= this.ffn || keep == 0 || n == 1) {
            NeuronPredictor.super.selectChunk(backend, x, cols, n, ffn, selected, counts, ws);
            return;
        }
        float[] scores = SparseWorkspace.chunk(n, this.ffn).scores;
        backend.signDots(bits, embd, x, 0, scores, n);
        for (int t = 0; t < n; t++) {
            int count = TopK.select(scores, t * this.ffn, this.ffn, keep, ws.select, ws.single);
            System.arraycopy(ws.single, 0, selected, t * ffn, count);
            counts[t] = count;
        }
    }

    @Override
    public long bytesPerToken() {
        return bits.byteSize();
    }
}
