package dev.rwkvedge.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons against rwkv.cpp reference data with the README's tolerances. */
final class ReferenceAssert {
    private ReferenceAssert() {
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Asserts max |Δ| over all steps within {@code tol}; returns on how many steps the argmax agrees (the README asks
     * for 95% over a model's steps for quantized models; see {@link #argmaxAgreement}).
     */
    static int logits(String where, float[][] expected, float[][] actual, double tol) {
        if (expected.length != actual.length) {
            fail(where + ": " + actual.length + " steps, expected " + expected.length);
        }
        double worst = 0;
        int worstStep = -1;
        int agree = 0;
        for (int t = 0; t < expected.length; t++) {
            double d = maxAbsDiff(expected[t], actual[t]);
            if (d > worst) {
                worst = d;
                worstStep = t;
            }
            if (argmax(expected[t]) == argmax(actual[t])) {
                agree++;
            }
        }
        assertTrue(worst <= tol, where + ": max |Δlogit| " + worst + " at step " + worstStep + " exceeds " + tol);
        return agree;
    }

    /** The argmax agrees with the reference on at least 95% of all steps of a model (README, quantized models). */
    static void argmaxAgreement(String where, int agree, int steps) {
        assertTrue(agree >= 0.95 * steps, where + ": argmax agrees on " + agree + " of " + steps + " steps, need 95%");
    }

    /** States: the logit tolerance scaled by the state's magnitude (max |x|, at least 1). */
    static void state(String where, float[] expected, float[] actual, double tol) {
        double scale = 1;
        for (float v : expected) {
            if (Math.abs(v) < 1e29) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (Math.abs(expected[i]) >= 1e29) {
                d = Math.abs(expected[i] - actual[i]) / Math.abs(expected[i]);
            }
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol * scale, where + ": max |Δ| " + worst + " at index " + at + " exceeds " + tol
                + " × magnitude " + scale);
    }
}
