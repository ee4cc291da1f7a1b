package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.spi.Params;

/**
 * How many singular triplets to keep for an {@code m × n} matrix: a fixed {@code rank}; a {@code rank-ratio} of
 * {@code min(m, n)} (RWKV-Lite's rank {@code D/k} with compression factor k, PAPER.md §2.2: k = 8 is 0.125,
 * rounded down as the authors' integer division, at least 1); or the smallest rank whose singular values keep an
 * {@code energy} share of {@code Σσ²} (the Eckart–Young error is then {@code √(1 − energy)} of the norm).
 */
record RankRule(Kind kind, double value) {
    /** The paper's default compression factor k = 8. */
    static final RankRule DEFAULT = new RankRule(Kind.RATIO, 0.125);

    enum Kind {
        RANK("rank"), RATIO("rank-ratio"), ENERGY("energy");

        final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    /** True when the rank can only be chosen from the singular values (so a full spectrum is needed). */
    boolean needsSpectrum() {
        return kind == Kind.ENERGY;
    }

    /**
     * Reads at most one of {@code rank}, {@code rank-ratio}, {@code energy}; empty when none is given.
     *
     * @throws dev.rwkvedge.RwkvException naming the step and key when a value is out of range or two are given
     */
    static java.util.Optional<RankRule> read(Params p) {
        RankRule found = null;
        for (Kind k : Kind.values()) {
            java.util.Optional<Object> raw = p.take(k.key);
            if (raw.isEmpty()) {
                continue;
            }
            if (found != null) {
                throw p.bad(k.key, raw.get(), "only one of rank, rank-ratio and energy (" + found.kind.key
                        + " is also given)");
            }
            double v = number(p, k.key, raw.get());
            switch (k) {
                case RANK -> {
                    if (v < 1 || v != Math.rint(v)) {
                        throw p.bad(k.key, raw.get(), "a whole number ≥ 1");
                    }
                }
                case RATIO, ENERGY -> {
                    if (!(v > 0 && v <= 1)) {
                        throw p.bad(k.key, raw.get(), "a number in (0, 1]");
                    }
                }
            }
            found = new RankRule(k, v);
        }
        return java.util.Optional.ofNullable(found);
    }

    private static double number(Params p, String key, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw p.bad(key, v, "a number");
        }
    }

    /**
     * @param singular singular values in descending order (only read for {@code energy}; may be null otherwise)
     * @return the rank, between 1 and {@code min(m, n)}
     */
    int rank(int m, int n, double[] singular) {
        int full = Math.min(m, n);
        return switch (kind) {
            case RANK -> (int) Math.min(full, value);
            case RATIO -> Math.max(1, Math.min(full, (int) Math.floor(value * full + 1e-9)));
            case ENERGY -> {
                double total = 0;
                for (double s : singular) {
                    total += s * s;
                }
                double kept = 0;
                int r = 0;
                while (r < singular.length && r < full) {
                    kept += singular[r] * singular[r];
                    r++;
                    if (kept >= value * total * (1 - 1e-12)) {
                        break;
                    }
                }
                yield Math.max(1, r);
            }
        };
    }

    @Override
    public String toString() {
        return kind.key + " " + (kind == Kind.RANK ? Integer.toString((int) value) : Double.toString(value));
    }
}
