package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.tensor.DType;

import java.util.Map;

/**
 * Element type names of safetensors headers and their sizes, after the safetensors spec ({@code Dtype} in
 * safetensors/src/tensor.rs), plus the ggml block types the rwkv-edge container adds.
 *
 * <p>The standard names are all known so that a header can be fully validated even when it holds a type rwkv-edge
 * does not read; which of them become tensors is decided by {@link #toDType}.
 */
public final class SafetensorsDTypes {
    /** Standard safetensors dtype names and element sizes in bytes. */
    private static final Map<String, Integer> STANDARD = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1), Map.entry("I16", 2), Map.entry("U16", 2),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("C64", 8));

    private SafetensorsDTypes() {
    }

    /** Whether {@code name} is a standard safetensors dtype. */
    public static boolean isStandard(String name) {
        return STANDARD.containsKey(name);
    }

    /** The rwkv-edge block type named {@code name} ({@code Q8_0}, …), or null. */
    public static DType blockType(String name) {
        for (DType d : DType.values()) {
            if (d.isQuantized() && d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * Bytes taken by {@code elements} elements of type {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name or a block type whose count is not whole blocks
     * @throws ArithmeticException      on overflow
     */
    public static long byteSize(String name, long elements, boolean allowBlocks) {
        Integer size = STANDARD.get(name);
        if (size != null) {
            return Math.multiplyExact(elements, (long) size);
        }
        DType block = allowBlocks ? blockType(name) : null;
        if (block == null) {
            throw new IllegalArgumentException("unknown dtype \"" + name + "\"");
        }
        return block.byteSize(elements);
    }

    /** The rwkv-edge type for a header name, or null when rwkv-edge does not read that type. */
    public static DType toDType(String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I8" -> DType.I8;
            case "I32" -> DType.I32;
            default -> blockType(name);
        };
    }

    /** The header name of an rwkv-edge type: the standard name, or the block type's own name. */
    public static String name(DType d) {
        return d.name();
    }
}
