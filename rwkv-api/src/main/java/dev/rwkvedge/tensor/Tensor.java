package dev.rwkvedge.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named, read-only, n-dimensional view over a {@link MemorySegment} (usually a slice of one memory-mapped
 * model file, as in llama3.java; for small derived tensors a heap segment).
 *
 * <p>Shapes are in PyTorch order: {@code shape[0]} is the outermost dimension and the last one is contiguous.
 * A 2-D tensor of shape {@code (out, in)} is a matrix of {@code out} rows of {@code in} elements, and a
 * matrix-vector product computes {@code y[o] = Σ_i W[o][i]·x[i]} ({@code W @ x}). Block-quantized tensors
 * are quantized row by row, so their last dimension is a multiple of 32.
 *
 * <h2>Per-row INT8 (DESIGN.md §4: "dense … I8 with per-row scale")</h2>
 * An {@link DType#I8} tensor may carry a <em>row scale</em>: an F32 vector with one factor per row, stored in the
 * model as its own tensor named {@code <name>.scale} ({@link #rowScaleName}):
 * <pre>
 *   X        I8  (rows, cols)   q[r][c] ∈ [−127, 127], row-major, one byte each
 *   X.scale  F32 (rows)         s[r]
 *   value:   X[r][c] = s[r] · q[r][c]
 * </pre>
 * The scale travels with the view: {@link #get}, {@link #readRow} and {@link #toFloatArray} return the scaled values,
 * {@link #slice}, {@link #rowRange} and {@link #renamed} keep the matching part of it, and kernel backends multiply
 * with it ({@code KernelBackend}'s numerical contract). {@link dev.rwkvedge.model.ModelWeights} attaches
 * {@code X.scale} to {@code X} when weights are built, so every consumer sees the scaled values. An I8 tensor without
 * a row scale holds plain integers (e.g. the sparsity step's packed sign bits).
 */
public final class Tensor {
    /** Suffix of row-scale tensors: the scale of {@code X} is {@code X.scale}. */
    public static final String ROW_SCALE_SUFFIX = ".scale";
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;
    /** One F32 factor per row of an I8 tensor, or null. */
    private final Tensor rowScale;

    /**
     * @throws IllegalArgumentException if the segment's size does not match shape and dtype
     */
    public Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this(name, dtype, shape, data, null);
    }

    private Tensor(String name, DType dtype, long[] shape, MemorySegment data, Tensor rowScale) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        for (long d : this.shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(shape));
            }
        }
        if (dtype.isQuantized() && this.shape.length > 0 && lastDim(this.shape) % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + dtype + " needs rows of a multiple of "
                    + dtype.blockSize() + " elements, shape " + Arrays.toString(shape));
        }
        long expected = dtype.byteSize(count(this.shape));
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + dtype + Arrays.toString(shape) + " needs "
                    + expected + " bytes, segment has " + data.byteSize());
        }
        this.data = data.isReadOnly() ? data : data.asReadOnly();
        this.rowScale = rowScale;
    }

    /** Name of the tensor holding the row scale of tensor {@code name}: {@code <name>.scale}. */
    public static String rowScaleName(String name) {
        return name + ROW_SCALE_SUFFIX;
    }

    /**
     * This I8 tensor with {@code scale} as its row scale (one value per row; F16/BF16 scales are widened to F32).
     *
     * @throws IllegalArgumentException naming both tensors if this is not I8 or the scale is not a float vector of
     *                                  {@link #rows()} elements
     */
    public Tensor withRowScale(Tensor scale) {
        Objects.requireNonNull(scale, "scale");
        if (dtype != DType.I8) {
            throw new IllegalArgumentException("tensor " + name + " is " + dtype.id() + "; only i8 tensors take a row "
                    + "scale (" + scale.name() + ")");
        }
        if (!scale.dtype().isFloat() || scale.rank() != 1 || scale.elementCount() != rows()) {
            throw new IllegalArgumentException("row scale " + scale + " of tensor " + this + " must be a float vector "
                    + "of " + rows() + " elements, one per row");
        }
        Tensor s = scale.dtype() == DType.F32 ? scale : ofFloats(scale.name(), scale.toFloatArray());
        return new Tensor(name, dtype, shape, data, s);
    }

    /** The same data without a row scale: the raw integers of an I8 tensor. */
    public Tensor withoutRowScale() {
        return rowScale == null ? this : new Tensor(name, dtype, shape, data);
    }

    /** The F32 row scale (one value per row), or null when there is none. */
    public Tensor rowScale() {
        return rowScale;
    }

    public boolean hasRowScale() {
        return rowScale != null;
    }

    /** The scale of row {@code row}: {@code rowScale()[row]}, or 1 when there is no row scale. */
    public float rowScale(long row) {
        return rowScale == null ? 1f : rowScale.data.get(F32, row * 4);
    }

    /** Bytes of data plus the row scale's, i.e. what a product over the whole tensor reads. */
    public long byteSizeWithScale() {
        return data.byteSize() + (rowScale == null ? 0 : rowScale.byteSize());
    }

    /** Bytes of one row plus its scale. */
    public long rowBytesWithScale() {
        return rowBytes() + (rowScale == null ? 0 : 4);
    }

    /** A heap-backed F32 tensor holding a copy of {@code values}. */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(values.clone());
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("big-endian platforms are not supported");
        }
        return new Tensor(name, DType.F32, shape.length == 0 ? new long[] {values.length} : shape, seg);
    }

    private static long lastDim(long[] shape) {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Number of elements of a shape; the empty shape is a scalar (1 element). */
    public static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return count(shape);
    }

    /** Bytes of data (not counting the name or header). */
    public long byteSize() {
        return data.byteSize();
    }

    /** The read-only data segment. */
    public MemorySegment data() {
        return data;
    }

    /** Length of the contiguous last dimension. */
    public int cols() {
        return Math.toIntExact(lastDim(shape));
    }

    /** Number of rows: the product of all but the last dimension. */
    public int rows() {
        long c = lastDim(shape);
        return Math.toIntExact(c == 0 ? 0 : elementCount() / c);
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return dtype.byteSize(lastDim(shape));
    }

    /** The same data (and row scale) under another name. */
    public Tensor renamed(String newName) {
        return new Tensor(newName, dtype, shape, data, rowScale);
    }

    /**
     * The same data seen with another shape of the same element count. A row-scaled tensor keeps its scale only when
     * the rows stay the same (same last dimension).
     */
    public Tensor reshaped(long... newShape) {
        if (count(newShape) != elementCount()) {
            throw new IllegalArgumentException("tensor " + name + ": cannot reshape " + Arrays.toString(shape)
                    + " to " + Arrays.toString(newShape));
        }
        if (rowScale != null && lastDim(newShape) != lastDim(shape)) {
            throw new IllegalArgumentException("tensor " + name + " has a row scale: cannot reshape "
                    + Arrays.toString(shape) + " to " + Arrays.toString(newShape) + ", which changes its rows");
        }
        return new Tensor(name, dtype, newShape, data, rowScale);
    }

    /** The {@code i}-th sub-tensor along the outermost dimension (with its rows' scales), without copying. */
    public Tensor slice(long i) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("tensor " + name + ": cannot slice rank " + shape.length);
        }
        Objects.checkIndex(i, shape[0]);
        long[] sub = Arrays.copyOfRange(shape, 1, shape.length);
        long bytes = dtype.byteSize(count(sub));
        Tensor scale = null;
        if (rowScale != null) {
            long subRows = lastDim(sub) == 0 ? 0 : count(sub) / lastDim(sub);
            scale = rowScale.rowRangeOfVector(i * subRows, subRows);
        }
        return new Tensor(name + "[" + i + "]", dtype, sub, data.asSlice(i * bytes, bytes), scale);
    }

    /**
     * Rows {@code [from, from + count)} as a {@code count × cols} matrix (with their scales), without copying: e.g.
     * one cluster's block of head rows.
     */
    public Tensor rowRange(long from, long count) {
        Objects.checkFromIndexSize(from, count, rows());
        long rb = rowBytes();
        Tensor scale = rowScale == null ? null : rowScale.rowRangeOfVector(from, count);
        return new Tensor(name + "[" + from + ":" + (from + count) + "]", dtype, new long[] {count, cols()},
                data.asSlice(from * rb, count * rb), scale);
    }

    /** Elements {@code [from, from + count)} of an F32 vector. */
    private Tensor rowRangeOfVector(long from, long count) {
        return new Tensor(name + "[" + from + ":" + (from + count) + "]", dtype, new long[] {count},
                data.asSlice(from * 4, count * 4));
    }

    /** Element {@code index} (row-major), dequantized (times its row scale). Slow for block types; meant for small tensors and tests. */
    public float get(long index) {
        Objects.checkIndex(index, elementCount());
        return switch (dtype) {
            case F32 -> data.get(F32, index * 4);
            case F16 -> Half.f16ToFloat(data.get(I16, index * 2));
            case BF16 -> Half.bf16ToFloat(data.get(I16, index * 2));
            case I8 -> rowScale == null ? data.get(ValueLayout.JAVA_BYTE, index)
                    : rowScale(index / cols()) * data.get(ValueLayout.JAVA_BYTE, index);
            case I32 -> data.get(I32, index * 4);
            default -> {
                float[] block = new float[GgmlBlocks.QK];
                long b = index / GgmlBlocks.QK;
                GgmlBlocks.dequantizeBlock(dtype, data, b * dtype.blockBytes(), block, 0);
                yield block[(int) (index % GgmlBlocks.QK)];
            }
        };
    }

    /** Dequantizes row {@code row} (times its row scale) into {@code out[off .. off+cols)}. */
    public void readRow(long row, float[] out, int off) {
        int cols = cols();
        long base = row * rowBytes();
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, base, out, off, cols);
            case F16 -> {
                for (int i = 0; i < cols; i++) {
                    out[off + i] = Half.f16ToFloat(data.get(I16, base + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < cols; i++) {
                    out[off + i] = Half.bf16ToFloat(data.get(I16, base + 2L * i));
                }
            }
            case I8 -> {
                float scale = rowScale(row);
                for (int i = 0; i < cols; i++) {
                    byte q = data.get(ValueLayout.JAVA_BYTE, base + i);
                    out[off + i] = rowScale == null ? q : scale * q;
                }
            }
            case I32 -> {
                for (int i = 0; i < cols; i++) {
                    out[off + i] = data.get(I32, base + 4L * i);
                }
            }
            default -> {
                int blocks = cols / GgmlBlocks.QK;
                for (int b = 0; b < blocks; b++) {
                    GgmlBlocks.dequantizeBlock(dtype, data, base + (long) b * dtype.blockBytes(), out, off + b * GgmlBlocks.QK);
                }
            }
        }
    }

    /** All elements as floats (a copy). */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + name + " has " + n + " elements, too many for one array");
        }
        float[] out = new float[(int) n];
        if (shape.length == 0 || n == 0) {
            if (n == 1) {
                out[0] = get(0);
            }
            return out;
        }
        int cols = cols();
        int rows = rows();
        for (int r = 0; r < rows; r++) {
            readRow(r, out, r * cols);
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype.id() + Arrays.toString(shape) + (rowScale == null ? "" : " with row scale");
    }
}
