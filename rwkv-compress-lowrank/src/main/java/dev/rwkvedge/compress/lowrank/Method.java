package dev.rwkvedge.compress.lowrank;

import java.util.Locale;

/** How the factors are found. */
enum Method {
    /** Truncated SVD of W itself: the best rank-r approximation in Frobenius norm (Eckart–Young). */
    SVD("svd"),
    /**
     * Truncated SVD of W whitened by the calibration inputs' second moments, the best rank-r approximation of the
     * layer's outputs on those inputs (SVD-LLM, Wang et al. 2024); see {@link Whitening}.
     */
    ACTIVATION_AWARE("activation-aware");

    final String id;

    Method(String id) {
        this.id = id;
    }

    static Method parse(String s) {
        String n = s.trim().toLowerCase(Locale.ROOT);
        for (Method m : values()) {
            if (m.id.equals(n)) {
                return m;
            }
        }
        return null;
    }
}
