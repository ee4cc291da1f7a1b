package dev.rwkvedge.model;

/**
 * Parts of an RWKV model that sizes are reported by ({@code inspect}, reports, memory accounting). The FFN sparsity
 * predictors ({@code blocks.N.ffn.predictor.*}, PAPER.md §3.3-3.4) are a component of their own, because the paper's
 * memory account lists them apart from the FFN rows they gate (PAPER.md §6: "MLP" and "1-bit bits").
 */
public enum Component {
    EMBEDDING("embedding"),
    TIME_MIX("time-mix"),
    CHANNEL_MIX("channel-mix"),
    PREDICTORS("predictors"),
    NORMS("norms"),
    HEAD("head"),
    OTHER("other");

    private final String id;

    Component(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * The component a canonical tensor name belongs to. The test is by prefix, so a companion tensor named after its
     * matrix ({@code X.scale}, {@code X.lowrank.a}) falls into the matrix's component.
     */
    public static Component of(String name) {
        if (name.startsWith("emb.") || name.startsWith("blocks.0.ln0.")) {
            return EMBEDDING;
        }
        if (name.startsWith("head.")) {
            return HEAD;
        }
        if (name.startsWith("ln_out.") || name.matches("blocks\\.\\d+\\.ln[12]\\..*")) {
            return NORMS;
        }
        if (name.matches("blocks\\.\\d+\\.att\\..*")) {
            return TIME_MIX;
        }
        if (name.matches("blocks\\.\\d+\\.ffn\\.predictor\\..*")) {
            return PREDICTORS;
        }
        if (name.matches("blocks\\.\\d+\\.ffn\\..*")) {
            return CHANNEL_MIX;
        }
        return OTHER;
    }
}
