package dev.rwkvedge.model;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ModelWeights} pairs an I8 matrix with its {@code .scale} tensor, so every lookup sees scaled values. */
class RowScaleWeightsTest {
    @Test
    void buildAttachesTheScaleTensorAsAReaderPutsThem() {
        // As a reader: the raw codes and the scale as two separate tensors, in any order.
        Tensor scale = Tensor.ofFloats("blocks.0.att.key.weight.scale", new float[] {0.5f, 2f});
        Tensor codes = new Tensor("blocks.0.att.key.weight", DType.I8, new long[] {2, 2},
                MemorySegment.ofArray(new byte[] {2, -4, 3, 1}));
        ModelWeights w = ModelWeights.builder(null, "memory").put(scale).put(codes).build();
        Tensor k = w.get("blocks.0.att.key.weight");
        assertTrue(k.hasRowScale());
        assertArrayEquals(new float[] {1, -2, 6, 2}, k.toFloatArray());
        assertEquals(2, w.tensors().size(), "the scale stays a tensor of its own (writers write it)");
    }

    @Test
    void putAndRemoveMoveTheScaleWithItsMatrix() {
        Tensor f = Tensor.ofFloats("head.weight", new float[] {1, -1, 0.5f, 0.25f}, 2, 2);
        ModelWeights base = ModelWeights.builder(null, "memory").put(Tensor.ofFloats("ln_out.weight", new float[2]))
                .put(f).build();
        Tensor q = Int8Rows.quantize("head.weight", f.toFloatArray(), 2, 2);
        ModelWeights quantized = base.toBuilder().put(q).build();
        assertEquals(List.of("ln_out.weight", "head.weight", "head.weight.scale"), List.copyOf(quantized.names()));
        assertTrue(quantized.get("head.weight").hasRowScale());

        ModelWeights back = quantized.toBuilder().put(f).build();
        assertFalse(back.contains("head.weight.scale"), "replacing by a float matrix drops the stale scale");
        ModelWeights removed = quantized.toBuilder().remove("head.weight").build();
        assertEquals(List.of("ln_out.weight"), List.copyOf(removed.names()));
    }

    @Test
    void aScaleOfTheWrongLengthNamesTheScaleTensor() {
        Tensor codes = new Tensor("x.weight", DType.I8, new long[] {2, 2}, MemorySegment.ofArray(new byte[4]));
        Tensor scale = Tensor.ofFloats("x.weight.scale", new float[3]);
        WeightFormatException e = assertThrows(WeightFormatException.class,
                () -> ModelWeights.builder(null, "memory").put(codes).put(scale).build());
        assertTrue(e.getMessage().contains("x.weight.scale") && e.getMessage().contains("one per row"), e.getMessage());
    }

    @Test
    void signBitsWithoutAScaleStayRawIntegers() {
        Tensor bits = new Tensor("blocks.0.ffn.predictor.sign", DType.I8, new long[] {1, 2},
                MemorySegment.ofArray(new byte[] {-1, 5}));
        ModelWeights w = ModelWeights.builder(null, "memory").put(bits).build();
        assertFalse(w.get("blocks.0.ffn.predictor.sign").hasRowScale());
        assertArrayEquals(new float[] {-1, 5}, w.get("blocks.0.ffn.predictor.sign").toFloatArray());
    }

    @Test
    void scaleTensorsBelongToTheComponentOfTheirMatrix() {
        for (String n : List.of("emb.weight", "head.weight", "head.clusters.weight", "blocks.3.att.key.weight",
                "blocks.3.ffn.sparse.value_t", "blocks.3.att.key.weight.lowrank.a", "blocks.0.att.time_maa_w2")) {
            assertEquals(Component.of(n), Component.of(Tensor.rowScaleName(n)), n);
        }
    }
}
