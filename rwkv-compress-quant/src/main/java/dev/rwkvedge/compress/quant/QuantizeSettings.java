package dev.rwkvedge.compress.quant;

import dev.rwkvedge.model.Glob;
import dev.rwkvedge.spi.Params;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code quantize} step's parameters, read strictly from {@link Params} (unknown keys are errors):
 * <ul>
 *   <li>{@code dtype}: {@code int8} (default), {@code q8_0}, {@code q5_1}, {@code q5_0}, {@code q4_1} or
 *       {@code q4_0}. Per-row INT8 is the default because it is the smaller of the 8-bit formats (8 bits per weight
 *       plus 4 bytes per row, against Q8_0's 8.5 bits), keeps the activation in float (block products quantize it
 *       too), works for every row length (LoRA widths, low-rank factors of any rank) and is the paper's kind of INT8
 *       (PAPER.md §6, per-row scales). Q8_0 follows outliers per 32 weights instead of per row and files stay close
 *       to rwkv.cpp's. {@code q5_1}, {@code q5_0}, {@code q4_1} and {@code q4_0} are ggml's 6, 5.5, 5 and 4.5
 *       bits-per-weight blocks, made by ggml's reference quantizers as rwkv.cpp's quantizer makes them. A block-type
 *       target whose rows are not a multiple of 32, or whose operator cannot read that type ({@link Candidates}),
 *       becomes INT8 (reported).</li>
 *   <li>{@code targets}: globs over canonical tensor names ({@link Glob}); default {@code **}, every matrix.</li>
 *   <li>{@code exclude}: globs taken out of the targets; default {@link #DEFAULT_EXCLUDE}.</li>
 *   <li>{@code min-elements}: matrices with fewer elements stay as they are (default 4096: below that, a matrix
 *       is at most 16 KB in F32 and the per-row scales eat much of the saving).</li>
 * </ul>
 * Whatever the globs say, only float matrices are quantized: vectors, norms and the per-channel mix/decay
 * parameters ({@link Candidates}) stay float, and tensors that are already integer or quantized are left alone.
 */
record QuantizeSettings(QuantType type, List<Glob> targets, boolean targetsGiven, List<Glob> exclude,
                        long minElements) {
    static final List<String> DEFAULT_TARGETS = List.of("**");
    /**
     * What the paper leaves in floating point (PAPER.md §6): the embedding and the v6 time-decay LoRA (and, by the
     * same reasoning, v7's decay LoRA {@code att.w1/w2}: the decay enters through exp, where errors grow), and the
     * MLP sparsity predictor ("the MLP predictor stays fp16"; its dtype is kept as it is).
     */
    static final List<String> DEFAULT_EXCLUDE = List.of(
            "emb.weight",
            "blocks.*.att.time_decay_w1", "blocks.*.att.time_decay_w2",
            "blocks.*.att.w1", "blocks.*.att.w2",
            "blocks.*.ffn.predictor.*");
    static final long DEFAULT_MIN_ELEMENTS = 4096;

    static QuantizeSettings parse(Params p) {
        String d = p.getString("dtype", QuantType.INT8.id);
        QuantType type = QuantType.parse(d);
        if (type == null) {
            throw p.bad("dtype", d, QuantType.choices());
        }
        boolean targetsGiven = false;
        List<String> targetTexts = p.getStrings("targets", null);
        if (targetTexts == null) {
            targetTexts = DEFAULT_TARGETS;
        } else {
            targetsGiven = true;
        }
        List<Glob> targets = globs(p, "targets", targetTexts);
        if (targets.isEmpty()) {
            throw p.bad("targets", "[]", "at least one glob");
        }
        List<Glob> exclude = globs(p, "exclude", p.getStrings("exclude", DEFAULT_EXCLUDE));
        long min = p.getInt("min-elements", (int) DEFAULT_MIN_ELEMENTS);
        if (min < 0) {
            throw p.bad("min-elements", min, "a whole number ≥ 0");
        }
        p.requireAllConsumed();
        return new QuantizeSettings(type, targets, targetsGiven, exclude, min);
    }

    private static List<Glob> globs(Params p, String key, List<String> texts) {
        List<Glob> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Glob.of(t));
            } catch (IllegalArgumentException e) {
                throw p.bad(key, t, "a glob (" + e.getMessage() + ")");
            }
        }
        return List.copyOf(out);
    }

    boolean targeted(String name) {
        return targets.stream().anyMatch(g -> g.matches(name));
    }

    /** The first exclude glob matching {@code name}, or null. */
    Glob excludedBy(String name) {
        for (Glob g : exclude) {
            if (g.matches(name)) {
                return g;
            }
        }
        return null;
    }
}
