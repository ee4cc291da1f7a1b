package dev.rwkvedge.bench;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Weights for the benchmarks: random matrices of any dtype, and whole models quantized the way rwkv_quantize does,
 * all in 64-byte-aligned native memory like a memory-mapped model file (heap segments take other code paths).
 */
final class BenchWeights {
    private BenchWeights() {
    }

    /** A rows × cols matrix of N(0, 1/cols) values stored as {@code type}, in native memory. */
    static Tensor random(DType type, int rows, int cols, long seed) {
        float[] v = new float[rows * cols];
        IntStream.range(0, rows).parallel().forEach(r -> {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + r);
            double s = 1 / Math.sqrt(cols);
            for (int i = 0; i < cols; i++) {
                double u = rnd.nextDouble(1e-12, 1.0);
                v[r * cols + i] = (float) (s * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble()));
            }
        });
        return toNative(encode("w", type, v, new long[] {rows, cols}));
    }

    /**
     * {@code values} stored as {@code type} (rounded, quantized with ggml's reference quantizers, or for I8 per-row
     * INT8 with its scale).
     */
    static Tensor encode(String name, DType type, float[] values, long[] shape) {
        return switch (type) {
            case F32 -> Tensor.ofFloats(name, values, shape);
            case I8 -> Int8Rows.quantize(name, values, shape);
            case F16, BF16 -> {
                byte[] b = new byte[values.length * 2];
                for (int i = 0; i < values.length; i++) {
                    short h = type == DType.F16 ? Half.floatToF16(values[i]) : Half.floatToBf16(values[i]);
                    b[2 * i] = (byte) h;
                    b[2 * i + 1] = (byte) (h >>> 8);
                }
                yield new Tensor(name, type, shape, MemorySegment.ofArray(b));
            }
            default -> {
                byte[] b = new byte[Math.toIntExact(type.byteSize(values.length))];
                int bb = type.blockBytes();
                IntStream.range(0, values.length / 32).parallel()
                        .forEach(blk -> GgmlBlocks.quantizeBlock(type, values, blk * 32, b, blk * bb));
                yield new Tensor(name, type, shape, MemorySegment.ofArray(b));
            }
        };
    }

    /** The same tensor (and row scale) copied to 64-byte-aligned native memory that lives as long as the JVM. */
    static Tensor toNative(Tensor t) {
        MemorySegment seg = Arena.global().allocate(Math.max(1, t.byteSize()), 64).asSlice(0, t.byteSize());
        seg.copyFrom(t.data());
        Tensor n = new Tensor(t.name(), t.dtype(), t.shape(), seg);
        return t.hasRowScale() ? n.withRowScale(toNative(t.rowScale())) : n;
    }

    /**
     * rwkv_quantize's selection: the 2-D matrices with rows of whole blocks (any rows for I8) become {@code type},
     * except the embedding and the head, which keep their type; vectors stay F32.
     */
    static ModelWeights convertMatrices(ModelWeights w, DType type) {
        ModelWeights.Builder b = w.toBuilder();
        for (Tensor t : w.tensors()) {
            String n = t.name();
            if (t.rank() == 2 && (type == DType.I8 || t.cols() % 32 == 0) && !n.equals("emb.weight") && !n.equals("head.weight")) {
                b.put(encode(n, type, t.toFloatArray(), t.shape()));
            }
        }
        return b.build();
    }

    /** Every tensor copied to native memory. */
    static ModelWeights toNative(ModelWeights w) {
        ModelWeights.Builder b = w.toBuilder();
        for (Tensor t : w.tensors()) {
            b.put(toNative(t));
        }
        return b.build();
    }
}
