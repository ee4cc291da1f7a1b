package dev.rwkvedge.model;

/**
 * Parts of an RWKV model that sizes are reported by ({@code inspect}, reports, memory accounting).
 */
public enum Component {
    EMBEDDING("embedding"),
    TIME_MIX("time-mix"),
    CHANNEL_MIX("channel-mix"),
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

    /** The component a canonical tensor name belongs to. */
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
        if (name.matches("blocks\\.\\d+\\.ffn\\..*")) {
            return CHANNEL_MIX;
        }
        return OTHER;
    }
}
