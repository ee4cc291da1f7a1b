package dev.rwkvedge.operators;

import dev.rwkvedge.spi.KernelBackend;

/**
 * Predictor B of PAPER.md §3.4: the key quantized to one bit per weight with the per-tensor midpoint
 * ({@code b_ij = 1 iff w_ij ≥ (min+max)/2}). The dequantized score {@code m·Σx + (M−m)·(x·b_j)} ranks neurons exactly
 * as {@code x·b_j}, so only that is computed. Neurons whose score reaches the per-token {@code quantile} of the F
 * scores are predicted active, i.e. the top {@code k = ⌈(1−q)·F⌉} (the paper's Python takes one quantile per chunk;
 * this is the per-token form the paper notes as slightly different).
 *
 * <p>Scoring uses a byte lookup table: for every 8 inputs the 256 possible partial sums are built once per token
 * (256 adds), then each neuron costs one table read per 8 inputs instead of up to 8 adds, so the predictor reads
 * F·C/8 bytes and does F·C/8 adds.
 */
public final class SignNeuronPredictor implements NeuronPredictor {
    private final byte[] bits;
    private final int embd;
    private final int ffn;
    private final int stride;
    private final double quantile;
    private final int keep;

    /**
     * @param bits F rows of {@code ⌈C/8⌉} bytes; bit i of byte b is column 8b+i
     */
    public SignNeuronPredictor(byte[] bits, int embd, int ffn, double quantile) {
        this.stride = (embd + 7) / 8;
        if (bits.length != stride * ffn) {
            throw new IllegalArgumentException("sign bits have " + bits.length + " bytes, expected " + ffn + "×" + stride);
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

    /** Packs the sign bits of a key given as F rows of C floats, with the midpoint of its range. */
    public static byte[] pack(float[] key, int embd, int ffn, float midpoint) {
        int stride = (embd + 7) / 8;
        byte[] out = new byte[stride * ffn];
        for (int j = 0; j < ffn; j++) {
            for (int i = 0; i < embd; i++) {
                if (key[j * embd + i] >= midpoint) {
                    out[j * stride + (i >> 3)] |= (byte) (1 << (i & 7));
                }
            }
        }
        return out;
    }

    public double quantile() {
        return quantile;
    }

    /** The scores {@code x·b_j} into {@code scores[0..F)}; {@code lut} holds at least {@code ⌈C/8⌉·256} floats. */
    public void scores(float[] x, int xOff, float[] lut, float[] scores) {
        for (int b = 0; b < stride; b++) {
            int base = b * 256;
            lut[base] = 0;
            for (int v = 1; v < 256; v++) {
                int i = 8 * b + Integer.numberOfTrailingZeros(v);
                lut[base + v] = lut[base + (v & (v - 1))] + (i < embd ? x[xOff + i] : 0);
            }
        }
        for (int j = 0; j < ffn; j++) {
            float s = 0;
            int row = j * stride;
            for (int b = 0; b < stride; b++) {
                s += lut[b * 256 + (bits[row + b] & 0xff)];
            }
            scores[j] = s;
        }
    }

    /** The lookup-table scores need no matrix product: {@code backend} is not used. */
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
        scores(x, xOff, ws.lut, ws.scores);
        return TopK.select(ws.scores, ffn, keep, ws.select, selected);
    }

    @Override
    public long bytesPerToken() {
        return bits.length;
    }
}
