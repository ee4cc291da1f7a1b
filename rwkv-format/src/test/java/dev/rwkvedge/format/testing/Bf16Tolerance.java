package dev.rwkvedge.format.testing;

import dev.rwkvedge.model.RwkvVersion;

/**
 * How far a canonical tensor read from a bf16 checkpoint may be from the fp32 reference, derived from bf16
 * rounding and from how the converter's transforms propagate it.
 *
 * <p>bf16 keeps 8 significant bits and torch rounds to nearest, so a raw value x is stored as x(1+δ) with
 * |δ| ≤ 2⁻⁸ (half a bf16 ulp relative to the value's binade, the bound used everywhere here, 3.9e−3).
 * Transforms then amplify δ by the size of their input:
 * <ul>
 *   <li>untransformed values: |Δ| ≤ 2⁻⁸·|x|;</li>
 *   <li>v4 {@code time_decay} w = −exp(d): w' = w·exp(dδ), so |w'/w − 1| ≤ exp(|d|·2⁻⁸) − 1, with d = ln(−w);</li>
 *   <li>v5 {@code time_decay} w = exp(−exp(d)): ln w' − ln w = ln w·(exp(dδ) − 1), so
 *       |w'/w − 1| ≤ exp(L·(exp(|d|·2⁻⁸) − 1)) − 1 with L = −ln w and d = ln L;</li>
 *   <li>v5.1 {@code time_first} u = exp(f): |u'/u − 1| ≤ exp(|f|·2⁻⁸) − 1 with f = ln u.</li>
 * </ul>
 * Each bound gets 4 float32 ulps of slack for the final rounding, and 2⁻¹³³ absolute for subnormals.
 */
public final class Bf16Tolerance implements TensorComparison.Tolerance {
    private static final double DELTA = 0x1p-8;
    private final RwkvVersion version;

    public Bf16Tolerance(RwkvVersion version) {
        this.version = version;
    }

    /** The relative bound for reference value {@code e} of tensor {@code name}. */
    public double relativeBound(String name, float e) {
        boolean v5 = version == RwkvVersion.V5_1 || version == RwkvVersion.V5_2;
        if (name.endsWith("att.time_decay") && version == RwkvVersion.V4) {
            double d = Math.log(-e);
            return Math.expm1(Math.abs(d) * DELTA);
        }
        if (name.endsWith("att.time_decay") && v5) {
            double l = -Math.log(e);
            double d = Math.log(l);
            return Math.expm1(l * Math.expm1(Math.abs(d) * DELTA));
        }
        if (name.endsWith("att.time_first") && version == RwkvVersion.V5_1) {
            return Math.expm1(Math.abs(Math.log(e)) * DELTA);
        }
        return DELTA;
    }

    @Override
    public boolean accepts(String name, float e, float a) {
        double bound = relativeBound(name, e) * Math.abs(e) + 4 * Math.ulp(e) + 0x1p-133;
        return Math.abs((double) a - e) <= bound;
    }
}
