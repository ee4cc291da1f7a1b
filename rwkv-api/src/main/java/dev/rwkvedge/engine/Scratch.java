package dev.rwkvedge.engine;

import dev.rwkvedge.model.ModelConfig;

/**
 * Per-session work buffers, sized once for a chunk of {@link Graph#CHUNK} tokens so that decoding allocates
 * nothing per token. Each buffer holds {@code tokens × width} floats, token-major.
 */
public final class Scratch {
    final int chunk;
    /** Residual stream, LN1 output, LN2 output, token-shifted input. */
    final float[] x, a, f, sh;
    /** Mixed inputs of the projections. */
    final float[] xr, xk, xv, xg, xw, xa;
    /** Projection outputs and per-channel intermediates. */
    final float[] r, k, v, g, w, y, out, kk, bb, vFirst;
    /** FFN hidden activations (tokens × ffn). */
    final float[] hidden;
    /** LoRA intermediates, sized for the widest LoRA of the model. */
    final float[] lora, lora2, loraIn;
    /** One normalised row for the head. */
    final float[] headIn;
    /** Scratch of operators such as low-rank products (tokens × the widest operator's need). */
    final float[] opScratch;
    /** Tokens this session evaluated since it last released the on-demand pages ({@link PageReleaseSchedule}). */
    int tokensSinceRelease;

    Scratch(ModelConfig c, int maxLora, int maxOpScratch) {
        this.chunk = Graph.CHUNK;
        int n = chunk * c.nEmbd();
        x = new float[n];
        a = new float[n];
        f = new float[n];
        sh = new float[n];
        xr = new float[n];
        xk = new float[n];
        xv = new float[n];
        xg = new float[n];
        xw = new float[n];
        xa = new float[n];
        r = new float[n];
        k = new float[n];
        v = new float[n];
        g = new float[n];
        w = new float[n];
        y = new float[n];
        out = new float[n];
        kk = new float[n];
        bb = new float[n];
        vFirst = new float[n];
        hidden = new float[chunk * c.ffnDim()];
        lora = new float[chunk * Math.max(1, maxLora)];
        lora2 = new float[chunk * Math.max(1, maxLora)];
        loraIn = new float[chunk * Math.max(1, maxLora)];
        headIn = new float[chunk * c.nEmbd()];
        opScratch = new float[chunk * maxOpScratch];
    }
}
