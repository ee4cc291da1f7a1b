package dev.rwkvedge.engine;

import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/**
 * RWKV-7 "Goose" layer: generalised delta-rule WKV with in-context learning rate, value residual from layer 0,
 * and a squared-ReLU FFN without receptance (RWKV-MATH.md §6, v7).
 */
final class V7Block extends Block {
    /** e^{−1/2}, as rwkv.cpp writes it. */
    private static final float DECAY_SCALE = 0.606531f;

    private final float[] xrwkvag, w0, a0, v0, kK, kA, rK, lnxW, lnxB, fXk;
    private final Tensor w1, w2, a1, a2, v1, v2, g1, g2;
    private final FfnOperator ffn;
    private final LinearOperator key, value, receptance, output;
    private final boolean valueResidual;
    private final int maxLora;

    V7Block(Binder b, int l) {
        super(b, l);
        int f = cfg.ffnDim();
        xrwkvag = b.vec(l, "att.x_rwkvag", 6 * c);
        w0 = b.vec(l, "att.w0", c);
        a0 = b.vec(l, "att.a0", c);
        kK = b.vec(l, "att.k_k", c);
        kA = b.vec(l, "att.k_a", c);
        rK = b.vec(l, "att.r_k", c);
        w1 = b.matCols(l, "att.w1", c);
        w2 = b.mat(l, "att.w2", c, w1.rows());
        a1 = b.matCols(l, "att.a1", c);
        a2 = b.mat(l, "att.a2", c, a1.rows());
        g1 = b.matCols(l, "att.g1", c);
        g2 = b.mat(l, "att.g2", c, g1.rows());
        valueResidual = l > 0;
        if (valueResidual) {
            v0 = b.vec(l, "att.v0", c);
            v1 = b.matCols(l, "att.v1", c);
            v2 = b.mat(l, "att.v2", c, v1.rows());
        } else {
            v0 = null;
            v1 = null;
            v2 = null;
        }
        int lora = Math.max(Math.max(w1.rows(), a1.rows()), g1.rows());
        maxLora = valueResidual ? Math.max(lora, v1.rows()) : lora;
        lnxW = b.vec(l, "att.ln_x.weight", c);
        lnxB = b.vec(l, "att.ln_x.bias", c);
        key = b.linear(l, "att.key.weight", c, c);
        value = b.linear(l, "att.value.weight", c, c);
        receptance = b.linear(l, "att.receptance.weight", c, c);
        output = b.linear(l, "att.output.weight", c, c);
        fXk = b.vec(l, "ffn.x_k", c);
        ffn = b.ffn(l, c, f);
    }

    int maxLora() {
        return maxLora;
    }

    /** {@code out = second · act(first · in)}: a LoRA pair with activation 0 = none, 1 = tanh, 2 = sigmoid. */
    private void lora(Tensor first, Tensor second, float[] in, int act, float[] out, Scratch s, int n) {
        mm(first, in, s.lora, n);
        int len = n * first.rows();
        if (act == 1) {
            for (int i = 0; i < len; i++) {
                s.lora[i] = tanh(s.lora[i]);
            }
        } else if (act == 2) {
            for (int i = 0; i < len; i++) {
                s.lora[i] = sigmoid(s.lora[i]);
            }
        }
        mm(second, s.lora, out, n);
    }

    @Override
    void timeMix(int n, Scratch s, float[] state) {
        int nc = n * c;
        int heads = cfg.nHead();
        int hs = cfg.headSize();
        // Order of x_rwkvag: r, w, k, v, a, g.
        shiftMix(s.a, s.sh, xrwkvag, 0, s.xr, n);
        shiftMix(s.a, s.sh, xrwkvag, c, s.xw, n);
        shiftMix(s.a, s.sh, xrwkvag, 2 * c, s.xk, n);
        shiftMix(s.a, s.sh, xrwkvag, 3 * c, s.xv, n);
        shiftMix(s.a, s.sh, xrwkvag, 4 * c, s.xa, n);
        shiftMix(s.a, s.sh, xrwkvag, 5 * c, s.xg, n);

        mm(receptance, s.xr, s.r, n, s);
        lora(w1, w2, s.xw, 1, s.w, s, n);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < c; i++) {
                int j = t * c + i;
                s.w[j] = exp(-DECAY_SCALE * sigmoid(w0[i] + s.w[j]));
            }
        }
        mm(key, s.xk, s.k, n, s);
        mm(value, s.xv, s.v, n, s);
        // s.xa becomes the in-context learning rate α.
        lora(a1, a2, s.xa, 0, s.out, s, n);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < c; i++) {
                s.xa[t * c + i] = sigmoid(a0[i] + s.out[t * c + i]);
            }
        }
        lora(g1, g2, s.xg, 2, s.g, s, n);

        for (int t = 0; t < n; t++) {
            for (int i = 0; i < c; i++) {
                s.kk[t * c + i] = s.k[t * c + i] * kK[i];
            }
            for (int h = 0; h < heads; h++) {
                int o = t * c + h * hs;
                double sum = 0;
                for (int j = 0; j < hs; j++) {
                    sum += (double) (s.kk[o + j] * s.kk[o + j]);
                }
                float scale = 1.0f / Math.max((float) Math.sqrt(sum), 1e-12f);
                for (int j = 0; j < hs; j++) {
                    s.kk[o + j] *= scale;
                }
            }
            for (int i = 0; i < c; i++) {
                int j = t * c + i;
                s.k[j] = s.k[j] * (1 + (s.xa[j] - 1) * kA[i]);
            }
        }

        if (!valueResidual) {
            System.arraycopy(s.v, 0, s.vFirst, 0, nc);
        } else {
            lora(v1, v2, s.xv, 0, s.out, s, n);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < c; i++) {
                    int j = t * c + i;
                    s.v[j] = s.v[j] + (s.vFirst[j] - s.v[j]) * sigmoid(v0[i] + s.out[j]);
                }
            }
        }

        // WKV inputs a = −κ̂ (in s.kk, negated after use for b) and b = κ̂ ⊙ α (in s.bb).
        for (int i = 0; i < nc; i++) {
            s.bb[i] = s.kk[i] * s.xa[i];
            s.kk[i] = -s.kk[i];
        }
        int wkvOff = stateBase() + 2 * c;
        for (int t = 0; t < n; t++) {
            be.wkv7(heads, hs, s.r, s.w, s.k, s.v, s.kk, s.bb, t * c, state, wkvOff, s.y);
            be.groupNorm(s.y, t * c, s.y, t * c, c, heads, lnxW, lnxB, cfg.groupNormEps());
            for (int h = 0; h < heads; h++) {
                int o = t * c + h * hs;
                float bonus = 0;
                for (int j = 0; j < hs; j++) {
                    bonus += s.r[o + j] * s.k[o + j] * rK[h * hs + j];
                }
                for (int j = 0; j < hs; j++) {
                    s.y[o + j] = (s.y[o + j] + s.v[o + j] * bonus) * s.g[o + j];
                }
            }
        }
        mm(output, s.y, s.out, n, s);
    }

    @Override
    void channelMix(int n, Scratch s) {
        shiftMix(s.f, s.sh, fXk, 0, s.xk, n);
        ffnCore(ffn, s.xk, s, n);
    }
}
