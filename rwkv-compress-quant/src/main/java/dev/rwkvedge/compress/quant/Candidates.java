package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.Glob;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which tensors the {@code quantize} step touches. Matrices are the tensors of rank ≥ 2 other than the per-channel
 * parameters that some layouts store with extra unit axes (v4-v6 {@code time_mix/time_maa_*} (1,1,C), v5.2
 * {@code time_decay/time_faaaa} (H,N,1), v7 {@code x_rwkvag} (6,1,C), {@code r_k}, …): those, like every vector,
 * stay float. The per-channel names are rwkv.cpp's converter list ({@code convert_pytorch_to_ggml.py}, the rule
 * {@code DTypePolicy} applies to {@code convert --dtype}), except the v6 LoRA matrices {@code time_maa_w1/w2} and
 * {@code time_decay_w1/w2}, which are real matrices (the decay LoRA is excluded by default instead, PAPER.md §6).
 *
 * <p>A matrix the targets select is then quantized unless an exclude glob matches it, it is not a float tensor
 * (already I8, Q8_0, …), or it has fewer than {@code min-elements} elements; each of these is reported.
 *
 * <p>A selected matrix gets the requested type, except that a ggml block type falls back to per-row INT8 (any row
 * length, also 8 bits) where it cannot be used: rows that are not a whole number of 32-element blocks. The reason
 * goes into the report.
 */
final class Candidates {
    private static final List<String> PER_CHANNEL = List.of(".time_", ".k_k", ".k_a", ".r_k", ".x_rwkvag", ".x_k",
            ".w0", ".a0", ".v0");
    private static final Set<String> LORA = Set.of("time_maa_w1", "time_maa_w2", "time_decay_w1", "time_decay_w2");

    /**
     * A selected matrix: left as it is when {@code skipped} (the reason) is not null, else quantized to {@code type},
     * which is the requested type unless {@code fallback} says why it is not.
     */
    record Decision(Tensor tensor, String skipped, QuantType type, String fallback) {
        static Decision skip(Tensor t, String reason) {
            return new Decision(t, reason, null, null);
        }
    }

    private Candidates() {
    }

    static boolean isMatrix(Tensor t) {
        if (t.rank() < 2) {
            return false;
        }
        String name = t.name();
        String last = name.substring(name.lastIndexOf('.') + 1);
        if (LORA.contains(last)) {
            return true;
        }
        for (String s : PER_CHANNEL) {
            if (name.contains(s)) {
                return false;
            }
        }
        return true;
    }

    /** Why {@code t} cannot be stored as {@code type}, or null when it can. */
    static String fallback(Tensor t, QuantType type) {
        if (!type.isBlock()) {
            return null;
        }
        if (t.cols() % GgmlBlocks.QK != 0) {
            return "rows of " + t.cols() + " are not a multiple of " + GgmlBlocks.QK;
        }
        return null;
    }

    /**
     * The matrices the settings select, in file order, each quantized or skipped with the reason.
     *
     * @throws RwkvException naming the step if an explicit target glob matches no tensor, or nothing is left to
     *                       quantize
     */
    static List<Decision> select(String step, ModelWeights weights, QuantizeSettings s) {
        if (s.targetsGiven()) {
            for (Glob g : s.targets()) {
                if (weights.names().stream().noneMatch(g::matches)) {
                    throw new RwkvException("step '" + step + "': target '" + g + "' matches no tensor of the model "
                            + "(names are canonical, like blocks.0.att.key.weight or head.weight)");
                }
            }
        }
        List<Decision> out = new ArrayList<>();
        for (Tensor t : weights.tensors()) {
            if (!isMatrix(t) || !s.targeted(t.name())) {
                continue;
            }
            Glob ex = s.excludedBy(t.name());
            if (ex != null) {
                out.add(Decision.skip(t, "excluded by '" + ex + "'"));
            } else if (!t.dtype().isFloat()) {
                out.add(Decision.skip(t, "already " + t.dtype().id()));
            } else if (t.elementCount() < s.minElements()) {
                out.add(Decision.skip(t, t.elementCount() + " elements < min-elements " + s.minElements()));
            } else {
                String fallback = fallback(t, s.type());
                out.add(new Decision(t, null, fallback == null ? s.type() : QuantType.INT8, fallback));
            }
        }
        if (out.stream().allMatch(d -> d.skipped() != null)) {
            throw new RwkvException("step '" + step + "': no float matrix to quantize (targets " + s.targets()
                    + ", exclude " + s.exclude() + ", min-elements " + s.minElements() + "; " + out.size()
                    + " matrices matched, all skipped" + (out.isEmpty() ? "" : ", e.g. " + out.getFirst().tensor().name()
                    + ": " + out.getFirst().skipped()) + ")");
        }
        return out;
    }
}
