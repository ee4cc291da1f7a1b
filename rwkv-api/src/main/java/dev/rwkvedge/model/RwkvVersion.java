package dev.rwkvedge.model;

import java.util.Set;

/** RWKV architecture generations, with rwkv.cpp's naming of the two RWKV-5 variants (RWKV-MATH.md §6). */
public enum RwkvVersion {
    /** RWKV-4: channel-wise WKV with (aa, bb, pp) state. */
    V4("v4"),
    /** RWKV-5 with ln_x but no gate; per-head decay (ChatRWKV calls this 5.0). */
    V5_1("v5.1"),
    /** RWKV-5.2 "Eagle": per-channel decay, gate. */
    V5_2("v5.2"),
    /** RWKV-6 "Finch": data-dependent token shift and decay. */
    V6("v6"),
    /** RWKV-7 "Goose": generalised delta rule. */
    V7("v7");

    private final String id;

    RwkvVersion(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** Parses {@code v4}, {@code v5.1}, {@code 5.2}, {@code v6}, {@code 7} … */
    public static RwkvVersion parse(String s) {
        String n = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (!n.startsWith("v")) {
            n = "v" + n;
        }
        for (RwkvVersion v : values()) {
            if (v.id.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown RWKV version '" + s + "'; known: v4, v5.1, v5.2, v6, v7");
    }

    /**
     * Detects the version from canonical tensor names, with rwkv.cpp's rules; a v5.2 gate counts in any operator
     * form (dense, low-rank factors, RWKV-Lite factors).
     */
    public static RwkvVersion detect(Set<String> names) {
        if (names.contains("blocks.0.att.r_k")) {
            return V7;
        }
        if (names.contains("blocks.0.att.time_maa_x")) {
            return V6;
        }
        if (names.contains("blocks.0.att.ln_x.weight")) {
            // The gate may be stored by an operator (gate.weight.lowrank.a, RWKV-Lite gate1.weight / gate_diag).
            return names.stream().anyMatch(n -> n.startsWith("blocks.0.att.gate")) ? V5_2 : V5_1;
        }
        return V4;
    }

    /** True for versions whose state holds per-head S×S matrices. */
    public boolean hasMatrixState() {
        return this != V4;
    }

    @Override
    public String toString() {
        return id;
    }
}
