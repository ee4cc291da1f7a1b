package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * RWKV-4 WKV for one token, numerically stabilised ({@code KernelBackend#wkv4}, RWKV-MATH.md §6), lanewise over
 * channels.
 *
 * <p>Of each pair {@code e1 = exp(a − max(a, b))}, {@code e2 = exp(b − max(a, b))} one is exp(0) = 1 exactly, the
 * other {@code exp(−|a − b|)}; so one exponential per pair, selected by a mask, gives the reference's values with
 * half the work. The exponential is written out here with lanewise operations rather than the Vector API's
 * {@code EXP}: that operator is an SVML intrinsic in compiled code but a per-lane {@link Math#exp} in the interpreter,
 * so one call could give different bits before and after compilation, while sequence mode must equal serial mode
 * bit for bit:
 * <pre>
 *   e^x, x ≤ 0:   n = round(x·log2 e),  r = x − n·ln2 (two-part ln2, Cody-Waite),  |r| ≤ ln2/2
 *                 e^r by its Taylor polynomial to degree 7 (truncation below 6e-9, under half an ulp)
 *                 2^n built in the exponent field ((n + 127) &lt;&lt; 23);  x &lt; −87.33 (2^n subnormal) gives 0
 * </pre>
 * Within 2 ulp of {@link Math#exp} on [−87, 0]; the reference's subnormal results below −87.33 become 0.
 */
final class Wkv4 {
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two (Cody-Waite): the high part has few bits, so n·LN2_HI is exact for |n| ≤ 127. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    /** Below this, 2^n leaves the normal range; such arguments give 0. */
    private static final float MIN_ARG = -87.33f;
    private static final float ROUND = 12582912f;
    private static final float C2 = 1f / 2;
    private static final float C3 = 1f / 6;
    private static final float C4 = 1f / 24;
    private static final float C5 = 1f / 120;
    private static final float C6 = 1f / 720;
    private static final float C7 = 1f / 5040;
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);

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
            // Output: p = max(pp, ww); e1 = exp(pp − p), e2 = exp(ww − p).
            VectorMask<Float> first = pp.compare(VectorOperators.GE, ww);
            FloatVector x = pp.sub(ww).abs().neg();
            FloatVector n = x.max(MIN_ARG).mul(LOG2E).add(ROUND).sub(ROUND);
            FloatVector r = n.mul(-LN2_HI).add(x.max(MIN_ARG)).add(n.mul(-LN2_LO));
            FloatVector t = r.mul(C7).add(C6).mul(r).add(C5).mul(r).add(C4).mul(r).add(C3).mul(r).add(C2).mul(r).add(1f)
                    .mul(r).add(1f);
            t = t.mul(n.convert(VectorOperators.F2I, 0).reinterpretAsInts().add(127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            t = t.blend(0f, x.compare(VectorOperators.LT, MIN_ARG));
            FloatVector e1 = ONE.blend(t, first.not());
            FloatVector e2 = t.blend(1f, first.not());
            e1.mul(aa).add(e2.mul(vv)).div(e1.mul(bb).add(e2)).intoArray(out, off + i);

            // State: q = pp + w; p = max(q, kk); e1 = exp(q − p), e2 = exp(kk − p).
            FloatVector q = pp.add(FloatVector.fromArray(F, w, i));
            first = q.compare(VectorOperators.GE, kk);
            x = q.sub(kk).abs().neg();
            n = x.max(MIN_ARG).mul(LOG2E).add(ROUND).sub(ROUND);
            r = n.mul(-LN2_HI).add(x.max(MIN_ARG)).add(n.mul(-LN2_LO));
            t = r.mul(C7).add(C6).mul(r).add(C5).mul(r).add(C4).mul(r).add(C3).mul(r).add(C2).mul(r).add(1f)
                    .mul(r).add(1f);
            t = t.mul(n.convert(VectorOperators.F2I, 0).reinterpretAsInts().add(127)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            t = t.blend(0f, x.compare(VectorOperators.LT, MIN_ARG));
            e1 = ONE.blend(t, first.not());
            e2 = t.blend(1f, first.not());
            e1.mul(aa).add(e2.mul(vv)).intoArray(state, aaOff + i);
            e1.mul(bb).add(e2).intoArray(state, bbOff + i);
            q.max(kk).intoArray(state, ppOff + i);
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
