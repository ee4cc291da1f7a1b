package dev.rwkvedge.format.blinkdl;

import dev.rwkvedge.format.io.HeapTensors;
import dev.rwkvedge.model.CanonicalLayout;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts between the state dict BlinkDL's training code saves ({@code .pth}, and safetensors made from it) and
 * the {@link dev.rwkvedge.model.CanonicalLayout canonical layout}, which is exactly what rwkv.cpp's converter
 * {@code python/convert_pytorch_to_ggml.py} writes (RWKV-MATH.md §4, models/FIXTURES.md "Key naming and shapes").
 *
 * <p>The converter, per version (detected from tensor names as it does), applied to the raw values:
 * <pre>
 *  all      .time_* vectors squeezed: (1,1,C) → (C)
 *  v4       att.time_decay d         → −exp(d)                         (C)
 *  v5.1     att.time_decay d (H)     → exp(−exp(d))                    (H,1,1)
 *           att.time_first u (H)     → exp(u)                          (H,1,1)
 *  v5.2     att.time_decay d (H,S)   → exp(−exp(d))                    (H,S,1)
 *           att.time_faaaa   (H,S)   → unchanged                       (H,S,1)
 *  v6       att.time_maa_w1  (C,5D)  → transposed                      (5D,C)
 *           att.time_maa_w2  (5,D,C) → last two axes swapped           (5,C,D)
 *           att.time_decay_w1 (C,D₂), att.time_decay_w2 (D₂,C) → transposed
 *           att.time_decay (1,1,C)   → unchanged values                (H,S,1)
 *           att.time_faaaa   (H,S)   → unchanged                       (H,S,1)
 *  v7       att.x_r,x_w,x_k,x_v,x_a,x_g (1,1,C) → att.x_rwkvag         (6,1,C), in that order
 *           att.w1 w2 a1 a2 v1 v2 g1 g2 → transposed (every LoRA becomes (out,in))
 * </pre>
 * Tensors that only change shape stay views of the source (no copy, same type). Transposes and the v7
 * concatenation move elements, so they are small heap copies of the same type (a BF16 checkpoint stays BF16).
 * Value transforms are computed in double and rounded once to F32. {@link #fromCanonical} applies the inverses:
 * {@code d = log(−w)} (v4), {@code d = log(−log w)} and {@code u = log(exp u)} (v5); these lose what float32
 * could not resolve, e.g. a v4 decay d of 3e−7 comes back only to about 1e−7 absolute (FIXTURES.md).
 *
 * <p>Tensors not named here (embeddings, layer norms, projections, and compressed-model extensions) pass through
 * unchanged, in their original order.
 */
public final class BlinkDlLayout {
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");
    private static final List<String> X_PARTS = List.of("att.x_r", "att.x_w", "att.x_k", "att.x_v", "att.x_a", "att.x_g");
    private static final Set<String> V7_LORA = Set.of("att.w1", "att.w2", "att.a1", "att.a2", "att.v1", "att.v2",
            "att.g1", "att.g2");
    private static final Set<String> V6_TRANSPOSED = Set.of("att.time_maa_w1", "att.time_decay_w1", "att.time_decay_w2");
    private static final Pattern MIX_VECTOR = Pattern.compile("(att|ffn)\\.time_(mix|maa)_[a-z]");

    private BlinkDlLayout() {
    }

    /**
     * The architecture of a BlinkDL state dict, by the keys rwkv.cpp's converter and loader look at: v7 has
     * {@code att.k_k} / {@code att.r_k}, v6 {@code att.time_maa_x}, v5 {@code att.ln_x} (v5.2 also
     * {@code att.gate}), anything else is v4.
     */
    public static RwkvVersion detect(Set<String> names) {
        if (names.contains("blocks.0.att.k_k") || names.contains("blocks.0.att.r_k")) {
            return RwkvVersion.V7;
        }
        if (names.contains("blocks.0.att.time_maa_x")) {
            return RwkvVersion.V6;
        }
        if (names.contains("blocks.0.att.ln_x.weight")) {
            return names.contains("blocks.0.att.gate.weight") ? RwkvVersion.V5_2 : RwkvVersion.V5_1;
        }
        return RwkvVersion.V4;
    }

    /** The layer number of a {@code blocks.N.…} name; a number beyond {@code int} is a corrupt name, not a model. */
    private static int layer(String digits, String name, Path source) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new WeightFormatException(source, name, -1, "layer number " + digits + " is out of range: corrupt tensor name");
        }
    }

    /**
     * Converts a BlinkDL state dict (iteration order kept) to canonical tensors.
     *
     * @param source the file, for error messages
     * @throws WeightFormatException naming the tensor when a shape does not fit the detected version
     */
    public static List<Tensor> toCanonical(Map<String, Tensor> blinkDl, Path source) {
        RwkvVersion version = detect(blinkDl.keySet());
        List<Tensor> out = new ArrayList<>(blinkDl.size());
        Set<Integer> stackedLayers = new HashSet<>();
        for (Map.Entry<String, Tensor> e : blinkDl.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue().renamed(name);
            Matcher m = BLOCK.matcher(name);
            if (!m.matches()) {
                out.add(name.contains(".time_") ? squeeze(t) : t);
                continue;
            }
            int layer = layer(m.group(1), name, source);
            String suffix = m.group(2);
            try {
                if (version == RwkvVersion.V7 && X_PARTS.contains(suffix)) {
                    if (stackedLayers.add(layer)) {
                        out.add(stackTokenShift(blinkDl, layer, source));
                    }
                    continue;
                }
                out.add(toCanonical(version, layer, suffix, t, blinkDl, source));
            } catch (IllegalArgumentException ex) {
                throw new WeightFormatException(source, name, -1, ex.getMessage() + " (layout " + version + ")", ex);
            }
        }
        return out;
    }

    private static Tensor toCanonical(RwkvVersion v, int layer, String suffix, Tensor t, Map<String, Tensor> all,
                                      Path source) {
        return switch (v) {
            case V7 -> V7_LORA.contains(suffix) ? HeapTensors.transpose(t, t.name()) : t;
            case V6 -> {
                if (V6_TRANSPOSED.contains(suffix)) {
                    yield HeapTensors.transpose(squeeze(t), t.name());
                }
                yield switch (suffix) {
                    case "att.time_maa_w2" -> HeapTensors.swapLastTwo(t, t.name());
                    case "att.time_faaaa" -> perChannel(t);
                    case "att.time_decay" -> {
                        Tensor faaaa = all.get(CanonicalLayout.block(layer, "att.time_faaaa"));
                        if (faaaa == null || faaaa.rank() < 1) {
                            throw new WeightFormatException(source, CanonicalLayout.block(layer, "att.time_faaaa"), -1,
                                    "missing: RWKV-6 needs it to know the head count");
                        }
                        long heads = faaaa.dim(0);
                        long n = t.elementCount();
                        if (heads <= 0 || n % heads != 0) {
                            throw new IllegalArgumentException(n + " channels do not split into " + heads + " heads");
                        }
                        yield t.reshaped(heads, n / heads, 1);
                    }
                    default -> suffix.contains("time_") ? squeeze(t) : t;
                };
            }
            case V5_2 -> switch (suffix) {
                case "att.time_decay" -> mapValues(perChannel(t), d -> Math.exp(-Math.exp(d)));
                case "att.time_faaaa" -> perChannel(t);
                default -> suffix.contains("time_") ? squeeze(t) : t;
            };
            case V5_1 -> switch (suffix) {
                case "att.time_decay" -> mapValues(t.reshaped(t.elementCount(), 1, 1), d -> Math.exp(-Math.exp(d)));
                case "att.time_first" -> mapValues(t.reshaped(t.elementCount(), 1, 1), Math::exp);
                default -> suffix.contains("time_") ? squeeze(t) : t;
            };
            case V4 -> switch (suffix) {
                case "att.time_decay" -> mapValues(squeeze(t), d -> -Math.exp(d));
                default -> suffix.contains("time_") ? squeeze(t) : t;
            };
        };
    }

    /** v7: the six token-shift vectors of one layer, stacked as {@code att.x_rwkvag (6,1,C)} in r,w,k,v,a,g order. */
    private static Tensor stackTokenShift(Map<String, Tensor> all, int layer, Path source) {
        List<Tensor> parts = new ArrayList<>(X_PARTS.size());
        for (String p : X_PARTS) {
            String name = CanonicalLayout.block(layer, p);
            Tensor t = all.get(name);
            if (t == null) {
                throw new WeightFormatException(source, name, -1, "missing: RWKV-7 layers need all of att.x_r, x_w, "
                        + "x_k, x_v, x_a, x_g");
            }
            if (!parts.isEmpty() && t.elementCount() != parts.getFirst().elementCount()) {
                throw new WeightFormatException(source, name, -1, "has " + t.elementCount() + " elements, att.x_r has "
                        + parts.getFirst().elementCount());
            }
            parts.add(t);
        }
        return HeapTensors.stack(CanonicalLayout.block(layer, "att.x_rwkvag"), parts, X_PARTS.size(), 1,
                parts.getFirst().elementCount());
    }

    /**
     * Converts canonical tensors back to a BlinkDL state dict, in order (v7's {@code x_rwkvag} becomes its six
     * parts in place). The version is detected from the canonical names ({@link RwkvVersion#detect}).
     *
     * @throws WeightFormatException naming the tensor when it cannot be converted (e.g. a quantized LoRA matrix,
     *                               which cannot be transposed without re-quantizing)
     */
    public static List<Tensor> fromCanonical(Collection<Tensor> canonical, Path source) {
        Set<String> names = new HashSet<>();
        for (Tensor t : canonical) {
            names.add(t.name());
        }
        RwkvVersion version = RwkvVersion.detect(names);
        List<Tensor> out = new ArrayList<>(canonical.size() + 64);
        for (Tensor t : canonical) {
            Matcher m = BLOCK.matcher(t.name());
            if (!m.matches()) {
                out.add(t);
                continue;
            }
            String suffix = m.group(2);
            try {
                if (version == RwkvVersion.V7 && suffix.equals("att.x_rwkvag")) {
                    out.addAll(unstackTokenShift(t, Integer.parseInt(m.group(1))));
                } else {
                    out.add(fromCanonical(version, suffix, t));
                }
            } catch (IllegalArgumentException ex) {
                throw new WeightFormatException(source, t.name(), -1, ex.getMessage() + " (layout " + version + ")", ex);
            }
        }
        return out;
    }

    private static Tensor fromCanonical(RwkvVersion v, String suffix, Tensor t) {
        if (MIX_VECTOR.matcher(suffix).matches()) {
            return t.reshaped(1, 1, t.elementCount());
        }
        return switch (v) {
            case V7 -> V7_LORA.contains(suffix) ? HeapTensors.transpose(t, t.name()) : t;
            case V6 -> {
                if (V6_TRANSPOSED.contains(suffix)) {
                    yield HeapTensors.transpose(t, t.name());
                }
                yield switch (suffix) {
                    case "att.time_maa_w2" -> HeapTensors.swapLastTwo(t, t.name());
                    case "att.time_decay" -> t.reshaped(1, 1, t.elementCount());
                    case "att.time_faaaa" -> headMatrix(t);
                    default -> t;
                };
            }
            case V5_2 -> switch (suffix) {
                case "att.time_decay" -> mapValues(headMatrix(t), w -> Math.log(-Math.log(w)));
                case "att.time_faaaa" -> headMatrix(t);
                default -> t;
            };
            case V5_1 -> switch (suffix) {
                case "att.time_decay" -> mapValues(t.reshaped(t.elementCount()), w -> Math.log(-Math.log(w)));
                case "att.time_first" -> mapValues(t.reshaped(t.elementCount()), Math::log);
                default -> t;
            };
            case V4 -> switch (suffix) {
                case "att.time_decay" -> mapValues(t.reshaped(t.elementCount()), w -> Math.log(-w));
                case "att.time_first" -> t.reshaped(t.elementCount());
                default -> t;
            };
        };
    }

    private static List<Tensor> unstackTokenShift(Tensor t, int layer) {
        if (t.rank() != 3 || t.dim(0) != X_PARTS.size() || t.dim(1) != 1) {
            throw new IllegalArgumentException("expected shape (6, 1, C), got " + Arrays.toString(t.shape()));
        }
        List<Tensor> parts = new ArrayList<>(X_PARTS.size());
        for (int i = 0; i < X_PARTS.size(); i++) {
            parts.add(t.slice(i).reshaped(1, 1, t.dim(2)).renamed(CanonicalLayout.block(layer, X_PARTS.get(i))));
        }
        return parts;
    }

    /** The converter's {@code squeeze()}: every axis of length 1 removed (a view). */
    static Tensor squeeze(Tensor t) {
        long[] kept = Arrays.stream(t.shape()).filter(d -> d != 1).toArray();
        return kept.length == t.rank() ? t : t.reshaped(kept);
    }

    /** A per-channel {@code (H,S)} head matrix as {@code (H,S,1)}, the converter's {@code unsqueeze(-1)}. */
    private static Tensor perChannel(Tensor t) {
        long[] s = t.shape();
        if (s.length == 2) {
            return t.reshaped(s[0], s[1], 1);
        }
        if (s.length == 3 && s[2] == 1) {
            return t;
        }
        throw new IllegalArgumentException("expected a per-channel (heads, head_size) matrix, got shape "
                + Arrays.toString(s) + (s.length == 1 ? "; a per-head vector with a gate (ChatRWKV's '5.1') is not a"
                + " layout rwkv.cpp defines" : ""));
    }

    /** The inverse of {@link #perChannel}: {@code (H,S,1) → (H,S)}. */
    private static Tensor headMatrix(Tensor t) {
        long[] s = t.shape();
        if (s.length == 3 && s[2] == 1) {
            return t.reshaped(s[0], s[1]);
        }
        throw new IllegalArgumentException("expected shape (heads, head_size, 1), got " + Arrays.toString(s));
    }

    /** {@code f} applied to every element, in double, rounded once to F32 (a small heap tensor). */
    private static Tensor mapValues(Tensor t, DoubleUnaryOperator f) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) f.applyAsDouble(v[i]);
        }
        return HeapTensors.f32(t.name(), v, t.shape());
    }
}
