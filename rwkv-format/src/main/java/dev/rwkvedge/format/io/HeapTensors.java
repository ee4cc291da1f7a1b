package dev.rwkvedge.format.io;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Small tensors built on the heap by layout conversions: value transforms (always F32) and pure rearrangements
 * (transpose, concatenation), which keep the element type because they move elements without changing them, so a
 * BF16 checkpoint stays BF16. Backing arrays are {@code byte[]} with explicit little-endian access, which is what
 * {@link Tensor} reads and what the Vector API can load from a heap segment.
 *
 * <p>Only element types of one element per block (F32, F16, BF16, I8, I32) can be rearranged; a ggml block covers
 * 32 elements of a row, so transposing a quantized matrix would need re-quantization.
 */
public final class HeapTensors {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HeapTensors() {
    }

    /** An F32 tensor holding {@code values}. */
    public static Tensor f32(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
        for (int i = 0; i < values.length; i++) {
            seg.set(F32, 4L * i, values[i]);
        }
        return new Tensor(name, DType.F32, shape, seg);
    }

    /** Whether {@link #transpose} and friends can move the elements of {@code t}. */
    public static boolean canRearrange(DType t) {
        return !t.isQuantized();
    }

    /** The transpose of a 2-D tensor {@code (r, c) → (c, r)}, same element type. */
    public static Tensor transpose(Tensor t, String name) {
        require(t, 2);
        return swapLastTwo(t, name);
    }

    /**
     * Swaps the last two axes of a tensor of rank ≥ 2: a batch of transposes, e.g. RWKV-6 {@code time_maa_w2}
     * {@code (5, D, C) → (5, C, D)}.
     */
    public static Tensor swapLastTwo(Tensor t, String name) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException("tensor " + t.name() + ": cannot transpose rank " + t.rank());
        }
        requireRearrangeable(t);
        long[] shape = t.shape();
        int n = shape.length;
        long rows = shape[n - 2];
        long cols = shape[n - 1];
        long batch = Tensor.count(Arrays.copyOf(shape, n - 2));
        int es = t.dtype().blockBytes();
        MemorySegment src = t.data();
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize())]);
        long plane = rows * cols * es;
        for (long b = 0; b < batch; b++) {
            long base = b * plane;
            for (long r = 0; r < rows; r++) {
                for (long c = 0; c < cols; c++) {
                    MemorySegment.copy(src, base + (r * cols + c) * es, dst, base + (c * rows + r) * es, es);
                }
            }
        }
        long[] out = shape.clone();
        out[n - 2] = cols;
        out[n - 1] = rows;
        return new Tensor(name, t.dtype(), out, dst);
    }

    /**
     * Concatenates tensors along a new outermost axis into {@code shape}: the element type is kept when all parts
     * share it, otherwise the result is F32.
     */
    public static Tensor stack(String name, List<Tensor> parts, long... shape) {
        DType first = parts.getFirst().dtype();
        boolean sameType = true;
        long total = 0;
        for (Tensor p : parts) {
            requireRearrangeable(p);
            sameType &= p.dtype() == first;
            total += p.elementCount();
        }
        if (total != Tensor.count(shape)) {
            throw new IllegalArgumentException("tensor " + name + ": parts hold " + total + " elements, shape "
                    + Arrays.toString(shape) + " needs " + Tensor.count(shape));
        }
        if (sameType) {
            MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(first.byteSize(total))]);
            long off = 0;
            for (Tensor p : parts) {
                MemorySegment.copy(p.data(), 0, dst, off, p.byteSize());
                off += p.byteSize();
            }
            return new Tensor(name, first, shape, dst);
        }
        float[] values = new float[Math.toIntExact(total)];
        int off = 0;
        for (Tensor p : parts) {
            float[] v = p.toFloatArray();
            System.arraycopy(v, 0, values, off, v.length);
            off += v.length;
        }
        return f32(name, values, shape);
    }

    private static void require(Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException("tensor " + t.name() + ": expected rank " + rank + ", shape "
                    + Arrays.toString(t.shape()));
        }
    }

    private static void requireRearrangeable(Tensor t) {
        if (t.hasRowScale()) {
            throw new IllegalArgumentException("tensor " + t.name() + " is per-row INT8: moving its elements across "
                    + "rows would separate them from their row scales; dequantize it first");
        }
        if (!canRearrange(t.dtype())) {
            throw new IllegalArgumentException("tensor " + t.name() + " is " + t.dtype()
                    + ": block-quantized data cannot be rearranged; dequantize it first");
        }
    }
}
