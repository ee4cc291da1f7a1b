package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.rwkvedge.runtime.vector.VectorShapes.D;
import static dev.rwkvedge.runtime.vector.VectorShapes.DL;
import static dev.rwkvedge.runtime.vector.VectorShapes.D_ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.D_ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.D_ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * LayerNorm and GroupNorm as ggml_norm (RWKV-MATH.md §7): the mean and the variance are sums of floats accumulated
 * in double, the centring, scaling and affine are float.
 *
 * <p>The float lanes are widened to two double vectors (F2D, parts 0 and 1) and summed lanewise, then by the fixed
 * rotate-and-add tree of {@link VectorShapes}; the scalar reference sums in index order. Both sums are of at most
 * a few thousand floats, each exact in double, so they differ from the exact sum by at most n·2^−53 relative, and the
 * float mean and variance they round to agree except when the exact value lies within that distance of a float
 * rounding boundary; the differential tests bound the effect. The affine is {@code x·w + b} with two roundings,
 * as in the reference.
 */
final class Norms {
    private Norms() {
    }

    static void layerNorm(float[] x, int xOff, float[] out, int outOff, int len, float[] weight, float[] bias, float eps) {
        normalize(x, xOff, out, outOff, len, eps);
        affine(out, outOff, len, weight, bias);
    }

    static void groupNorm(float[] x, int xOff, float[] out, int outOff, int len, int groups, float[] weight, float[] bias, float eps) {
        int g = len / groups;
        for (int h = 0; h < groups; h++) {
            normalize(x, xOff + h * g, out, outOff + h * g, g, eps);
        }
        affine(out, outOff, len, weight, bias);
    }

    private static void affine(float[] out, int off, int len, float[] weight, float[] bias) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, out, off + i);
            v.mul(FloatVector.fromArray(F, weight, i)).add(FloatVector.fromArray(F, bias, i)).intoArray(out, off + i);
        }
        for (; i < len; i++) {
            out[off + i] = out[off + i] * weight[i] + bias[i];
        }
    }

    /** {@code (x − μ)·(1/√(σ² + eps))}, in place if {@code out == x}. */
    private static void normalize(float[] x, int xOff, float[] out, int outOff, int len, float eps) {
        int bound = F.loopBound(len);
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = s0;
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            s0 = s0.add(v.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(v.convertShape(VectorOperators.F2D, D, 1));
        }
        DoubleVector t = s0.add(s1);
        t = t.add(t.rearrange(D_ROT_HALF));
        t = t.add(t.rearrange(D_ROT_QUARTER));
        if (DL >= 8) {
            t = t.add(t.rearrange(D_ROT_EIGHTH));
        }
        double sum = t.lane(0);
        for (; i < len; i++) {
            sum += x[xOff + i];
        }
        float mean = (float) (sum / len);

        DoubleVector q0 = DoubleVector.zero(D);
        DoubleVector q1 = q0;
        for (i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i).sub(mean);
            v.intoArray(out, outOff + i);
            FloatVector sq = v.mul(v);
            q0 = q0.add(sq.convertShape(VectorOperators.F2D, D, 0));
            q1 = q1.add(sq.convertShape(VectorOperators.F2D, D, 1));
        }
        DoubleVector u = q0.add(q1);
        u = u.add(u.rearrange(D_ROT_HALF));
        u = u.add(u.rearrange(D_ROT_QUARTER));
        if (DL >= 8) {
            u = u.add(u.rearrange(D_ROT_EIGHTH));
        }
        double sum2 = u.lane(0);
        for (; i < len; i++) {
            float v = x[xOff + i] - mean;
            out[outOff + i] = v;
            sum2 += (double) (v * v);
        }
        float variance = (float) (sum2 / len);
        float scale = (float) (1.0 / Math.sqrt(variance + eps));
        for (i = 0; i < bound; i += L) {
            FloatVector.fromArray(F, out, outOff + i).mul(scale).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] *= scale;
        }
    }
}
