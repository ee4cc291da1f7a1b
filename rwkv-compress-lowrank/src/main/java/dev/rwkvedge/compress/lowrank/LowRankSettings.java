package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.model.Glob;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code lowrank} step's parameters, read strictly from {@link Params}:
 * <ul>
 *   <li>{@code targets}: globs over canonical names ({@link Glob}); default RWKV-Lite's set (PAPER.md §2.1): the
 *       time-mix receptance, key, value and gate and the channel-mix receptance. The time-mix output, the FFN
 *       key/value and the head are factorised only when named.</li>
 *   <li>one of {@code rank}, {@code rank-ratio}, {@code energy} ({@link RankRule}); default rank-ratio 0.125.</li>
 *   <li>{@code overrides}: glob → one of those three keys, e.g.
 *       {@code {"blocks.*.att.key.weight": {rank-ratio: 0.25}}}; the first matching glob, in the order written,
 *       wins.</li>
 *   <li>{@code method}: {@code svd} (default) or {@code activation-aware} ({@link Method}).</li>
 *   <li>{@code dtype}: f32, f16 or bf16 for the factors; default the source's dtype, F32 for block types.</li>
 *   <li>{@code damping}: relative diagonal damping of activation-aware whitening (default 0.01, {@link Whitening}).</li>
 *   <li>{@code solver}: {@code auto} (default: randomized SVD for matrices of 512+ rows and columns whose rank is
 *       set by rank or rank-ratio and is under a quarter of them, else exact), {@code full} or {@code randomized}.</li>
 *   <li>{@code threads}: matrices factorised in parallel (default: available processors).</li>
 *   <li>{@code activation-error}: with method svd, whether to run the calibration text through the model only to
 *       report each matrix's activation-weighted error (default true when the pipeline has calibration data;
 *       false saves a calibration pass on large models). Activation-aware always calibrates.</li>
 * </ul>
 */
record LowRankSettings(List<Glob> targets, RankRule rule, List<Override> overrides, Method method, DType dtype,
                       double damping, Solver solver, int threads, boolean activationError) {
    static final List<String> DEFAULT_TARGETS = List.of(
            "blocks.*.att.{receptance,key,value,gate}.weight",
            "blocks.*.ffn.receptance.weight");

    /** A per-target rank rule. */
    record Override(Glob glob, RankRule rule) {
    }

    enum Solver {
        AUTO, FULL, RANDOMIZED;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static LowRankSettings parse(Params p) {
        List<Glob> targets = new ArrayList<>();
        for (String t : p.getStrings("targets", DEFAULT_TARGETS)) {
            targets.add(glob(p, "targets", t));
        }
        if (targets.isEmpty()) {
            throw p.bad("targets", "[]", "at least one glob");
        }
        RankRule rule = RankRule.read(p).orElse(RankRule.DEFAULT);
        List<Override> overrides = overrides(p);
        String m = p.getString("method", Method.SVD.id);
        Method method = Method.parse(m);
        if (method == null) {
            throw p.bad("method", m, "svd or activation-aware");
        }
        DType dtype = null;
        String d = p.getString("dtype", null);
        if (d != null) {
            try {
                dtype = DType.parse(d);
            } catch (IllegalArgumentException e) {
                throw p.bad("dtype", d, "f32, f16 or bf16");
            }
            if (!dtype.isFloat()) {
                throw p.bad("dtype", d, "f32, f16 or bf16");
            }
        }
        double damping = p.getDouble("damping", 0.01);
        if (!(damping >= 0) || Double.isInfinite(damping)) {
            throw p.bad("damping", damping, "a number ≥ 0");
        }
        String s = p.getString("solver", "auto");
        Solver solver;
        try {
            solver = Solver.valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw p.bad("solver", s, "auto, full or randomized");
        }
        int threads = p.getInt("threads", Runtime.getRuntime().availableProcessors());
        if (threads < 1) {
            throw p.bad("threads", threads, "a whole number ≥ 1");
        }
        boolean activationError = p.getBoolean("activation-error", true);
        p.requireAllConsumed();
        return new LowRankSettings(List.copyOf(targets), rule, List.copyOf(overrides), method, dtype, damping, solver,
                threads, activationError);
    }

    private static List<Override> overrides(Params p) {
        Object raw = p.take("overrides").orElse(null);
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof Map<?, ?> map)) {
            throw p.bad("overrides", raw, "a map from target glob to {rank | rank-ratio | energy}");
        }
        List<Override> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof Map<?, ?> values)) {
                throw p.bad("overrides", key + ": " + e.getValue(), "a map {rank | rank-ratio | energy: value}");
            }
            Map<String, Object> typed = new java.util.LinkedHashMap<>();
            values.forEach((k, v) -> typed.put(String.valueOf(k), v));
            Params inner = new Params(p.step() + "' override '" + key, typed);
            RankRule r = RankRule.read(inner).orElseThrow(
                    () -> p.bad("overrides", key + ": " + typed, "one of rank, rank-ratio or energy"));
            inner.requireAllConsumed();
            out.add(new Override(glob(p, "overrides", key), r));
        }
        return out;
    }

    private static Glob glob(Params p, String key, String text) {
        try {
            return Glob.of(text);
        } catch (IllegalArgumentException e) {
            throw p.bad(key, text, "a glob (" + e.getMessage() + ")");
        }
    }

    /** The rank rule for {@code name}: the first matching override's, else the step's. */
    RankRule ruleFor(String name) {
        for (Override o : overrides) {
            if (o.glob().matches(name)) {
                return o.rule();
            }
        }
        return rule;
    }

    boolean selects(String name) {
        for (Glob g : targets) {
            if (g.matches(name)) {
                return true;
            }
        }
        return false;
    }
}
