package dev.rwkvedge.compress.sparsity;

/** Which predictor the {@code sparsity} step builds (PAPER.md §3.3-3.5). */
public enum PredictorKind {
    /** The trained low-rank MLP alone (§3.3). */
    MLP("mlp"),
    /** The 1-bit sign quantization of the key alone (§3.4). */
    SIGN("1bit"),
    /** Both, combined by a rule (§3.5). */
    ENSEMBLE("ensemble");

    private final String id;

    PredictorKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public boolean usesMlp() {
        return this != SIGN;
    }

    public boolean usesSign() {
        return this != MLP;
    }

    /** @return the kind with this id, or null */
    public static PredictorKind parse(String id) {
        for (PredictorKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        return null;
    }
}
