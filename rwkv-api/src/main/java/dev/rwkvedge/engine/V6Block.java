package dev.rwkvedge.engine;

import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/** RWKV-6 "Finch" layer: data-dependent token shift and decay (RWKV-MATH.md §6, v6). */
final class V6Block extends Block {
    private final float[] maaX, maaW, maaK, maaV, maaR, maaG, decay, bonus, lnxW, lnxB, fMaaK, fMaaR;
    private final Tensor maaW1, decayW1, decayW2;
    private final Tensor[] maaW2 = new Tensor[5];
    private final int mixLora, decayLora;
    private final FfnOperator ffn;
    private final LinearOperator key, value, receptance, gate, output, fReceptance;

    V6Block(Binder b, int l) {
        super(b, l);
        int f = cfg.ffnDim();
        maaX = b.vec(l, "att.time_maa_x", c);
        maaW = b.vec(l, "att.time_maa_w", c);
        maaK = b.vec(l, "att.time_maa_k", c);
        maaV = b.vec(l, "att.time_maa_v", c);
        maaR = b.vec(l, "att.time_maa_r", c);
        maaG = b.vec(l, "att.time_maa_g", c);
        maaW1 = b.matCols(l, "att.time_maa_w1", c);
        if (maaW1.rows() % 5 != 0) {
            throw b.bad(maaW1, "has " + maaW1.rows() + " rows, expected 5 × the mix LoRA width");
        }
        mixLora = maaW1.rows() / 5;
        Tensor w2 = b.weights().get("blocks." + l + ".att.time_maa_w2");
        if (w2.rank() != 3 || w2.dim(0) != 5 || w2.dim(1) != c || w2.dim(2) != mixLora) {
            throw b.bad(w2, "has shape " + java.util.Arrays.toString(w2.shape()) + ", expected (5, " + c + ", " + mixLora + ")");
        }
        for (int i = 0; i < 5; i++) {
            maaW2[i] = w2.slice(i);
        }
        decayW1 = b.matCols(l, "att.time_decay_w1", c);
        decayLora = decayW1.rows();
        decayW2 = b.mat(l, "att.time_decay_w2", c, decayLora);
        decay = b.vec(l, "att.time_decay", c);
        bonus = b.vec(l, "att.time_faaaa", c);
        lnxW = b.vec(l, "att.ln_x.weight", c);
        lnxB = b.vec(l, "att.ln_x.bias", c);
        key = b.linear(l, "att.key.weight", c, c);
        value = b.linear(l, "att.value.weight", c, c);
        receptance = b.linear(l, "att.receptance.weight", c, c);
        gate = b.linear(l, "att.gate.weight", c, c);
        output = b.linear(l, "att.output.weight", c, c);
        fMaaK = b.vec(l, "ffn.time_maa_k", c);
        fMaaR = b.vec(l, "ffn.time_maa_r", c);
        ffn = b.ffn(l, c, f);
        fReceptance = b.linear(l, "ffn.receptance.weight", c, c);
    }

    /** The widest LoRA intermediate, for sizing scratch buffers. */
    int maxLora() {
        return Math.max(5 * mixLora, decayLora);
    }

    @Override
    void timeMix(int n, Scratch s, float[] state) {
        int nc = n * c;
        // s.sh becomes the shift delta sx = prev − x.
        for (int i = 0; i < nc; i++) {
            s.sh[i] -= s.a[i];
        }
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < c; i++) {
                s.xw[t * c + i] = s.a[t * c + i] + s.sh[t * c + i] * maaX[i];
            }
        }
        int d5 = 5 * mixLora;
        mm(maaW1, s.xw, s.lora, n);
        for (int i = 0; i < n * d5; i++) {
            s.lora[i] = tanh(s.lora[i]);
        }
        float[][] targets = {s.xw, s.xk, s.xv, s.xr, s.xg};
        float[][] maa = {maaW, maaK, maaV, maaR, maaG};
        for (int m = 0; m < 5; m++) {
            for (int t = 0; t < n; t++) {
                System.arraycopy(s.lora, t * d5 + m * mixLora, s.loraIn, t * mixLora, mixLora);
            }
            mm(maaW2[m], s.loraIn, s.out, n);
            float[] dst = targets[m];
            float[] base = maa[m];
            for (int t = 0; t < n; t++) {
                int o = t * c;
                for (int i = 0; i < c; i++) {
                    dst[o + i] = s.a[o + i] + s.sh[o + i] * (base[i] + s.out[o + i]);
                }
            }
        }
        mm(receptance, s.xr, s.r, n, s);
        mm(key, s.xk, s.k, n, s);
        mm(value, s.xv, s.v, n, s);
        mm(gate, s.xg, s.g, n, s);
        for (int i = 0; i < nc; i++) {
            s.g[i] = silu(s.g[i]);
        }
        mm(decayW1, s.xw, s.lora, n);
        for (int i = 0; i < n * decayLora; i++) {
            s.lora[i] = tanh(s.lora[i]);
        }
        mm(decayW2, s.lora, s.w, n);
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < c; i++) {
                s.w[t * c + i] = exp(-exp(decay[i] + s.w[t * c + i]));
            }
        }
        int wkvOff = stateBase() + 2 * c;
        for (int t = 0; t < n; t++) {
            be.wkv5(cfg.nHead(), cfg.headSize(), s.r, s.k, s.v, t * c, s.w, t * c, bonus, state, wkvOff, s.y);
            be.groupNorm(s.y, t * c, s.y, t * c, c, cfg.nHead(), lnxW, lnxB, cfg.groupNormEps());
        }
        for (int i = 0; i < nc; i++) {
            s.y[i] *= s.g[i];
        }
        mm(output, s.y, s.out, n, s);
    }

    @Override
    void channelMix(int n, Scratch s) {
        shiftMix(s.f, s.sh, fMaaK, 0, s.xk, n);
        shiftMix(s.f, s.sh, fMaaR, 0, s.xr, n);
        gatedFfn(fReceptance, ffn, s, n);
    }
}
