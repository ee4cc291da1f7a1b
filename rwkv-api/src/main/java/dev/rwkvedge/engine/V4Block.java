package dev.rwkvedge.engine;

import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.LinearOperator;

/** RWKV-4 layer (RWKV-MATH.md §6, v4). */
final class V4Block extends Block {
    private final float[] mixK, mixV, mixR, decay, first, fMixK, fMixR;
    private final FfnOperator ffn;
    private final LinearOperator key, value, receptance, output, fReceptance;

    V4Block(Binder b, int l) {
        super(b, l);
        int f = cfg.ffnDim();
        mixK = b.vec(l, "att.time_mix_k", c);
        mixV = b.vec(l, "att.time_mix_v", c);
        mixR = b.vec(l, "att.time_mix_r", c);
        decay = b.vec(l, "att.time_decay", c);
        first = b.vec(l, "att.time_first", c);
        key = b.linear(l, "att.key.weight", c, c);
        value = b.linear(l, "att.value.weight", c, c);
        receptance = b.linear(l, "att.receptance.weight", c, c);
        output = b.linear(l, "att.output.weight", c, c);
        fMixK = b.vec(l, "ffn.time_mix_k", c);
        fMixR = b.vec(l, "ffn.time_mix_r", c);
        ffn = b.ffn(l, c, f);
        fReceptance = b.linear(l, "ffn.receptance.weight", c, c);
    }

    @Override
    void timeMix(int n, Scratch s, float[] state) {
        lerp(s.a, s.sh, mixK, s.xk, n);
        lerp(s.a, s.sh, mixV, s.xv, n);
        lerp(s.a, s.sh, mixR, s.xr, n);
        mm(key, s.xk, s.k, n, s);
        mm(value, s.xv, s.v, n, s);
        mm(receptance, s.xr, s.r, n, s);
        int base = stateBase();
        for (int t = 0; t < n; t++) {
            be.wkv4(c, s.k, s.v, t * c, decay, first, state, base + 2 * c, base + 3 * c, base + 4 * c, s.y);
        }
        for (int i = 0; i < n * c; i++) {
            s.y[i] *= sigmoid(s.r[i]);
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
