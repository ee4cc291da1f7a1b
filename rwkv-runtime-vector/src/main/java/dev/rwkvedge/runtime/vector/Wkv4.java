package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * RWKV-4 WKV for one token, numerically stabilised ({@code KernelBackend#wkv4}, RWKV-MATH.md §6), lanewise over
 * channels. The exponentials use the Vector API's {@code EXP} (an intrinsic within 1 ulp of {@link Math#exp}), where
 * the reference rounds the double {@code Math.exp} to float: results agree to float rounding, not bit for bit.
 */
final class Wkv4 {
    private Wkv4() {
    }

    static void apply(int c, float[] k, float[] v, int off, float[] w, float[] u,
                      float[] state, int aaOff, int bbOff, int ppOff, float[] out) {
        int i = 0;
        for (int bound = F.loopBound(c); i < bound; i += L) {
            FloatVector kk = FloatVector.fromArray(F, k, off + i);
            FloatVector vv = FloatVector.fromArray(F, v, off + i);
            FloatVector aa = FloatVector.fromArray(F, state, aaOff + i);
            FloatVector bb = FloatVector.fromArray(F, state, bbOff + i);
            FloatVector pp = FloatVector.fromArray(F, state, ppOff + i);
            FloatVector ww = FloatVector.fromArray(F, u, i).add(kk);
            FloatVector p = pp.max(ww);
            FloatVector e1 = pp.sub(p).lanewise(VectorOperators.EXP);
            FloatVector e2 = ww.sub(p).lanewise(VectorOperators.EXP);
            e1.mul(aa).add(e2.mul(vv)).div(e1.mul(bb).add(e2)).intoArray(out, off + i);
            ww = pp.add(FloatVector.fromArray(F, w, i));
            p = ww.max(kk);
            e1 = ww.sub(p).lanewise(VectorOperators.EXP);
            e2 = kk.sub(p).lanewise(VectorOperators.EXP);
            e1.mul(aa).add(e2.mul(vv)).intoArray(state, aaOff + i);
            e1.mul(bb).add(e2).intoArray(state, bbOff + i);
            p.intoArray(state, ppOff + i);
        }
        for (; i < c; i++) {
            float kk = k[off + i];
            float vv = v[off + i];
            float aa = state[aaOff + i];
            float bb = state[bbOff + i];
            float pp = state[ppOff + i];
            float ww = u[i] + kk;
            float p = Math.max(pp, ww);
            float e1 = (float) Math.exp(pp - p);
            float e2 = (float) Math.exp(ww - p);
            out[off + i] = (e1 * aa + e2 * vv) / (e1 * bb + e2);
            ww = pp + w[i];
            p = Math.max(ww, kk);
            e1 = (float) Math.exp(ww - p);
            e2 = (float) Math.exp(kk - p);
            state[aaOff + i] = e1 * aa + e2 * vv;
            state[bbOff + i] = e1 * bb + e2;
            state[ppOff + i] = p;
        }
    }
}
