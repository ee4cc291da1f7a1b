package dev.rwkvedge.model;

import dev.rwkvedge.tensor.Tensor;

import java.util.Optional;

/**
 * The dimensions that fix every tensor of a dense RWKV model of one version: what {@code SyntheticModel} generates
 * and what the memory account's dense baseline counts (PAPER.md §6 compares against "462 M (923 MB)" for 0.4B).
 *
 * @param headSize S for v5+ (ignored for v4)
 * @param lora     widths of the v6/v7 LoRA matrices (ignored for v4/v5)
 */
public record DenseShape(RwkvVersion version, int layers, int embd, int vocab, int ffn, int headSize, Lora lora) {
    /**
     * LoRA widths: v6 token-shift ({@code time_maa_w1} is {@code 5·mix × C}) and decay ({@code time_decay_w1} is
     * {@code decay × C}); v7 decay, in-context learning rate, value residual and gate ({@code w1}, {@code a1},
     * {@code v1}, {@code g1} are {@code width × C}).
     */
    public record Lora(int mix, int decay, int w, int a, int v, int g) {
        /** The widths RWKV-LM uses for a model of width {@code embd} (v6: 32/64, 64/128 from C = 2048; v7: C/12, C/24, C/6 in steps of 32). */
        public static Lora defaults(int embd) {
            int w = Math.max(32, embd / 12 / 32 * 32);
            return new Lora(embd >= 2048 ? 64 : 32, embd >= 2048 ? 128 : 64, w, w,
                    Math.max(32, embd / 24 / 32 * 32), Math.max(32, embd / 6 / 32 * 32));
        }
    }

    /** Heads: C for v4 (the WKV is per channel), C / S otherwise. */
    public int heads() {
        return version == RwkvVersion.V4 ? embd : embd / headSize;
    }

    /**
     * The dense shape of a loaded model: its configuration, and the LoRA widths of block 1 (block 0 of v7 has no
     * value-residual LoRA) or block 0 as stored; widths whose tensors are absent (replaced by an operator) take
     * RWKV-LM's defaults.
     */
    public static DenseShape of(ModelWeights w, ModelConfig c) {
        Lora d = Lora.defaults(c.nEmbd());
        Lora lora = switch (c.version()) {
            case V6 -> new Lora(rows(w, "att.time_maa_w1", 5).orElse(d.mix()), rows(w, "att.time_decay_w1", 1).orElse(d.decay()),
                    d.w(), d.a(), d.v(), d.g());
            case V7 -> new Lora(d.mix(), d.decay(), rows(w, "att.w1", 1).orElse(d.w()), rows(w, "att.a1", 1).orElse(d.a()),
                    rows(w, "att.v1", 1).orElse(d.v()), rows(w, "att.g1", 1).orElse(d.g()));
            default -> d;
        };
        return new DenseShape(c.version(), c.nLayer(), c.nEmbd(), c.nVocab(), c.ffnDim(), c.headSize(), lora);
    }

    /** Rows of {@code blocks.1.<suffix>} (else block 0's) divided by {@code per}. */
    private static Optional<Integer> rows(ModelWeights w, String suffix, int per) {
        Optional<Tensor> t = w.find("blocks.1." + suffix).or(() -> w.find("blocks.0." + suffix));
        return t.filter(x -> x.rank() == 2).map(x -> (int) (x.dim(0) / per));
    }
}
