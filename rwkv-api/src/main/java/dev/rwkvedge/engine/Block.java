package dev.rwkvedge.engine;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/**
 * One RWKV layer: time mix then channel mix, each with its pre-LayerNorm and residual (RWKV-MATH.md §6,
 * "common skeleton"). Subclasses implement the version-specific mixes over a chunk of {@code n} tokens; buffers
 * are token-major ({@code t·C + i}).
 */
abstract class Block {
    final ModelConfig cfg;
    final KernelBackend be;
    final int layer;
    final int c;
    final float[] ln1w, ln1b, ln2w, ln2b;

    Block(Binder b, int layer) {
        this.cfg = b.config();
        this.be = b.backend();
        this.layer = layer;
        this.c = cfg.nEmbd();
        this.ln1w = b.vec(layer, "ln1.weight", c);
        this.ln1b = b.vec(layer, "ln1.bias", c);
        this.ln2w = b.vec(layer, "ln2.weight", c);
        this.ln2b = b.vec(layer, "ln2.bias", c);
    }

    /** Offset of this layer's ffn_xx in the state; att_xx follows, then the WKV state. */
    final int stateBase() {
        return layer * cfg.stateFloatsPerLayer();
    }

    final void forward(int n, Scratch s, float[] state) {
        int base = stateBase();
        int attXX = base + c;
        int ffnXX = base;
        for (int t = 0; t < n; t++) {
            be.layerNorm(s.x, t * c, s.a, t * c, c, ln1w, ln1b, cfg.layerNormEps());
        }
        shift(s.a, state, attXX, s.sh, n);
        timeMix(n, s, state);
        addInto(s.x, s.out, n * c);
        System.arraycopy(s.a, (n - 1) * c, state, attXX, c);

        for (int t = 0; t < n; t++) {
            be.layerNorm(s.x, t * c, s.f, t * c, c, ln2w, ln2b, cfg.layerNormEps());
        }
        shift(s.f, state, ffnXX, s.sh, n);
        channelMix(n, s);
        addInto(s.x, s.out, n * c);
        System.arraycopy(s.f, (n - 1) * c, state, ffnXX, c);
    }

    /**
     * Time mix of {@code n} tokens: input {@code s.a} (LN1 output), token-shifted input {@code s.sh}; writes the
     * layer's contribution to {@code s.out}. The WKV state lives in {@code state} from {@code stateBase() + 2C}.
     */
    abstract void timeMix(int n, Scratch s, float[] state);

    /** Channel mix of {@code n} tokens: input {@code s.f}, shifted {@code s.sh}; writes {@code s.out}. */
    abstract void channelMix(int n, Scratch s);

    /** sh[t] = in[t−1], with sh[0] = the previous token's value saved in the state. */
    final void shift(float[] in, float[] state, int prevOff, float[] sh, int n) {
        System.arraycopy(state, prevOff, sh, 0, c);
        if (n > 1) {
            System.arraycopy(in, 0, sh, c, (n - 1) * c);
        }
    }

    /** RWKV-4/5 token shift: {@code out = x·m + prev·(1 − m)}. */
    final void lerp(float[] x, float[] prev, float[] m, float[] out, int n) {
        for (int t = 0; t < n; t++) {
            int o = t * c;
            for (int i = 0; i < c; i++) {
                out[o + i] = x[o + i] * m[i] + prev[o + i] * (1 - m[i]);
            }
        }
    }

    /** RWKV-6/7 token shift: {@code out = x + (prev − x)·m}. */
    final void shiftMix(float[] x, float[] prev, float[] m, int mOff, float[] out, int n) {
        for (int t = 0; t < n; t++) {
            int o = t * c;
            for (int i = 0; i < c; i++) {
                out[o + i] = x[o + i] + (prev[o + i] - x[o + i]) * m[mOff + i];
            }
        }
    }

    final void mm(Tensor w, float[] in, float[] out, int n) {
        be.matmul(w, in, 0, out, 0, n);
    }

    final void mm(LinearOperator op, float[] in, float[] out, int n, Scratch s) {
        op.apply(be, in, 0, out, 0, n, s.opScratch);
    }

    /**
     * The v4-v6 channel mix after token shift: {@code σ(R·xr) ⊙ ffn(xk)} from {@code s.xk} and {@code s.xr} into
     * {@code s.out}.
     */
    final void gatedFfn(LinearOperator receptance, FfnOperator ffn, Scratch s, int n) {
        mm(receptance, s.xr, s.r, n, s);
        ffnCore(ffn, s.xk, s, n);
        for (int i = 0; i < n * c; i++) {
            s.out[i] *= sigmoid(s.r[i]);
        }
    }

    /** Squared-ReLU FFN core {@code out = V·relu²(K·xk)}, through whatever operator the layer is bound to. */
    final void ffnCore(FfnOperator ffn, float[] xk, Scratch s, int n) {
        ffn.apply(be, xk, s.out, n, s.hidden, s.opScratch);
    }

    static void addInto(float[] x, float[] d, int len) {
        for (int i = 0; i < len; i++) {
            x[i] += d[i];
        }
    }

    static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    static float silu(float z) {
        return z * sigmoid(z);
    }

    static float tanh(float z) {
        return (float) Math.tanh(z);
    }

    static float exp(float z) {
        return (float) Math.exp(z);
    }
}
