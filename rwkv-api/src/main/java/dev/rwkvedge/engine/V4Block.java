package dev.rwkvedge.engine;

import dev.rwkvedge.tensor.Tensor;

/** RWKV-4 layer (RWKV-MATH.md §6, v4). */
final class V4Block extends Block {
    private final float[] mixK, mixV, mixR, decay, first, fMixK, fMixR;
    private final Tensor key, value, receptance, output, fKey, fValue, fReceptance;

    V4Block(Binder b, int l) {
        super(b, l);
        int f = cfg.ffnDim();
        mixK = b.vec(l, "att.time_mix_k", c);
        mixV = b.vec(l, "att.time_mix_v", c);
        mixR = b.vec(l, "att.time_mix_r", c);
        decay = b.vec(l, "att.time_decay", c);
        first = b.vec(l, "att.time_first", c);
        key = b.mat(l, "att.key.weight", c, c);
        value = b.mat(l, "att.value.weight", c, c);
        receptance = b.mat(l, "att.receptance.weight", c, c);
        output = b.mat(l, "att.output.weight", c, c);
        fMixK = b.vec(l, "ffn.time_mix_k", c);
        fMixR = b.vec(l, "ffn.time_mix_r", c);
        fKey = b.mat(l, "ffn.key.weight", f, c);
        fValue = b.mat(l, "ffn.value.weight", c, f);
        fReceptance = b.mat(l, "ffn.receptance.weight", c, c);
    }

    @Override
    void timeMix(int n, Scratch s, float[] state) {
        lerp(s.a, s.sh, mixK, s.xk, n);
        lerp(s.a, s.sh, mixV, s.xv, n);
        lerp(s.a, s.sh, mixR, s.xr, n);
        mm(key, s.xk, s.k, n);
        mm(value, s.xv, s.v, n);
        mm(receptance, s.xr, s.r, n);
        int base = stateBase();
        for (int t = 0; t < n; t++) {
            be.wkv4(c, s.k, s.v, t * c, decay, first, state, base + 2 * c, base + 3 * c, base + 4 * c, s.y);
        }
        for (int i = 0; i < n * c; i++) {
            s.y[i] *= sigmoid(s.r[i]);
        }
        mm(output, s.y, s.out, n);
    }

    @Override
    void channelMix(int n, Scratch s) {
        lerp(s.f, s.sh, fMixK, s.xk, n);
        lerp(s.f, s.sh, fMixR, s.xr, n);
        mm(fReceptance, s.xr, s.r, n);
        ffnCore(fKey, fValue, s.xk, s, n);
        for (int i = 0; i < n * c; i++) {
            s.out[i] *= sigmoid(s.r[i]);
        }
    }
}
