package dev.rwkvedge.format.io;

import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Decides the element type each tensor gets on disk when a writer is given {@link
 * dev.rwkvedge.spi.WriteOptions#dtype()}, with one rule for every format.
 *
 * <p>The requested type applies to the <em>large float matrices</em> only, which is rwkv.cpp's converter rule
 * ({@code python/convert_pytorch_to_ggml.py}, RWKV-MATH.md §4): a tensor is converted when it is 2-D and its name
 * contains none of {@code .time_ .k_k .k_a .r_k .x_rwkvag .x_k .w0 .a0 .v0}. Vectors and the small per-channel
 * parameters keep their type (they are a negligible share of the bytes and the most sensitive to rounding).
 * Everything else keeps its own type, except where the target format cannot hold it: a float type it lacks
 * (BF16 in rwkv.cpp) is widened to F32, exactly; any other type it lacks is an error naming the tensor.
 * Quantizing is not a conversion: a block type is only accepted as a request if the tensor already has it.
 */
public final class DTypePolicy {
    private static final List<String> KEEP_F32 = List.of(".time_", ".k_k", ".k_a", ".r_k", ".x_rwkvag", ".x_k",
            ".w0", ".a0", ".v0");

    private DTypePolicy() {
    }

    /** The converter's rule: 2-D and not one of the small parameters that always stay in full precision. */
    public static boolean isLargeMatrix(String name, long[] shape) {
        if (shape.length != 2) {
            return false;
        }
        for (String s : KEEP_F32) {
            if (name.contains(s)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks a requested type before anything is written.
     *
     * @throws WeightFormatException if the format cannot store it or it is not a float type
     */
    public static void checkRequest(DType requested, Set<DType> holdable, String format, Path target) {
        if (requested == null) {
            return;
        }
        if (!requested.isFloat()) {
            throw new WeightFormatException(target, "cannot convert to " + requested.id() + " while writing; "
                    + "writers convert between f32, f16 and bf16 only (quantizing is the job of the 'quantize' compressor)");
        }
        if (!holdable.contains(requested)) {
            throw new WeightFormatException(target, "format '" + format + "' cannot store " + requested.id()
                    + "; it stores " + ids(holdable));
        }
    }

    /**
     * The on-disk type of {@code t} under name {@code name}.
     *
     * @throws WeightFormatException naming the tensor if the format cannot store it
     */
    public static DType target(String name, Tensor t, DType requested, Set<DType> holdable, String format, Path target) {
        DType own = t.dtype();
        if (requested != null && own.isFloat() && isLargeMatrix(name, t.shape())) {
            return requested;
        }
        if (holdable.contains(own)) {
            return own;
        }
        if (own.isFloat() && holdable.contains(DType.F32)) {
            return DType.F32;
        }
        throw new WeightFormatException(target, name, -1, "has type " + own.id() + ", which format '" + format
                + "' cannot store (it stores " + ids(holdable) + ")");
    }

    private static String ids(Set<DType> types) {
        StringBuilder sb = new StringBuilder();
        for (DType d : DType.values()) {
            if (types.contains(d)) {
                sb.append(sb.isEmpty() ? "" : ", ").append(d.id());
            }
        }
        return sb.toString();
    }
}
