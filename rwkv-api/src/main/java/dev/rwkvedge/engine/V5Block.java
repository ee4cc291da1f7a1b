package dev.rwkvedge.engine;

import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.LinearOperator;

/**
 * RWKV-5 layer in rwkv.cpp's two variants (RWKV-MATH.md §6): v5.1 (per-head decay and bonus, no gate) and
 * v5.2 (per-channel decay and bonus, SiLU gate).
 */
final class V5Block extends Block {
    private final boolean gated;
    private final float[] mixK, mixV, mixR, mixG, decay, bonus, lnxW, lnxB, fMixK, fMixR;
    private final FfnOperator ffn;
    private final LinearOperator key, value, receptance, gate, output, fReceptance;

    V5Block(Binder b, int l) {
        super(b, l);
        gated = cfg.version() == RwkvVersion.V5_2;
        int f = cfg.ffnDim();
        int h = cfg.nHead();
        mixK = b.vec(l, "att.time_mix_k", c);
        mixV = b.vec(l, "att.time_mix_v", c);
        mixR = b.vec(l, "att.time_mix_r", c);
        if (gated) {
            mixG = b.vec(l, "att.time_mix_g", c);
            decay = b.vec(l, "att.time_decay", c);
            bonus = b.vec(l, "att.time_faaaa", c);
            gate = b.linear(l, "att.gate.weight", c, c);
        } else {
            mixG = null;
            gate = null;
            decay = perHead(b.vec(l, "att.time_decay", h));
            bonus = perHead(b.vec(l, "att.time_first", h));
        }
        lnxW = b.vec(l, "att.ln_x.weight", c);
        lnxB = b.vec(l, "att.ln_x.bias", c);
        key = b.linear(l, "att.key.weight", c, c);
        value = b.linear(l, "att.value.weight", c, c);
        receptance = b.linear(l, "att.receptance.weight", c, c);
        output = b.linear(l, "att.output.weight", c, c);
        fMixK = b.vec(l, "ffn.time_mix_k", c);
        fMixR = b.vec(l, "ffn.time_mix_r", c);
        ffn = b.ffn(l, c, f);
        fReceptance = b.linear(l, "ffn.receptance.weight", c, c);
    }

    /** Broadcasts one value per head to the head's S channels. */
    private float[] perHead(float[] v) {
        int s = cfg.headSize();
        float[] out = new float[c];
        for (int i = 0; i < c; i++) {
            out[i] = v[i / s];
        }
        return out;
    }

    @Override
    void timeMix(int n, Scratch s, float[] state) {
        lerp(s.a, s.sh, mixK, s.xk, n);
        lerp(s.a, s.sh, mixV, s.xv, n);
        lerp(s.a, s.sh, mixR, s.xr, n);
        mm(key, s.xk, s.k, n, s);
        mm(value, s.xv, s.v, n, s);
        mm(receptance, s.xr, s.r, n, s);
        if (gated) {
            lerp(s.a, s.sh, mixG, s.xg, n);
            mm(gate, s.xg, s.g, n, s);
            for (int i = 0; i < n * c; i++) {
                s.g[i] = silu(s.g[i]);
            }
        }
        int wkvOff = stateBase() + 2 * c;
        for (int t = 0; t < n; t++) {
            be.wkv5(cfg.nHead(), cfg.headSize(), s.r, s.k, s.v, t * c, decay, 0, bonus, state, wkvOff, s.y);
        }
        for (int t = 0; t < n; t++) {
            be.groupNorm(s.y, t * c, s.y, t * c, c, cfg.nHead(), lnxW, lnxB, cfg.groupNormEps());
        }
        if (gated) {
            for (int i = 0; i < n * c; i++) {
                s.y[i] *= s.g[i];
            }
        }
        mm(output, s.y, s.out, n, s);
    }

    @Override
    void channelMix(int n, Scratch s) {
        lerp(s.f, s.sh, fMixK, s.xk, n);
        lerp(s.f, s.sh, fMixR, s.xr, n);
        gatedFfn(fReceptance, ffn, s, n);
    }
}
