package dev.rwkvedge.compress.quant;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference for a quantized model: the same weights with every quantized matrix replaced by an F32 matrix of
 * the values it stands for, computed here from the raw bytes (INT8: code times the row's scale read from the
 * {@code .scale} tensor's bytes; block types: ggml's block dequantization), and the scale tensors dropped.
 */
final class Dequantized {
    private Dequantized() {
    }

    static ModelWeights of(ModelWeights q) {
        ModelWeights.Builder b = q.toBuilder();
        for (Tensor t : q.tensors()) {
            if (t.dtype() == DType.I8 && q.contains(Tensor.rowScaleName(t.name()))) {
                byte[] codes = t.data().toArray(ValueLayout.JAVA_BYTE);
                float[] scales = q.get(Tensor.rowScaleName(t.name())).data()
                        .toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                int cols = t.cols();
                float[] v = new float[codes.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = scales[i / cols] * codes[i];
                }
                b.put(Tensor.ofFloats(t.name(), v, t.shape()));
            } else if (t.dtype().isQuantized()) {
                float[] v = new float[Math.toIntExact(t.elementCount())];
                for (int blk = 0; blk < v.length / GgmlBlocks.QK; blk++) {
                    GgmlBlocks.dequantizeBlock(t.dtype(), t.data(), (long) blk * t.dtype().blockBytes(), v,
                            blk * GgmlBlocks.QK);
                }
                b.put(Tensor.ofFloats(t.name(), v, t.shape()));
            }
        }
        ModelWeights out = b.build();
        for (Tensor t : out.tensors()) {
            if (t.dtype() == DType.I8 && t.hasRowScale() || t.dtype().isQuantized()) {
                throw new AssertionError(t + " is still quantized");
            }
        }
        return out;
    }
}
