package dev.rwkvedge.format.rwkvcpp;

import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.format.io.DTypePolicy;
import dev.rwkvedge.format.io.TensorEncoder;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes rwkv.cpp model files (layout in {@link RwkvCppFormatProvider}) the way its converter
 * {@code python/convert_pytorch_to_ggml.py} and quantizer do: format version 101, canonical tensors in the order of
 * the weights, shapes reversed into ggml's {@code ne}, data right after each record header (no padding).
 *
 * <p>Types: rwkv.cpp stores F32, F16 and the ggml block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0. With
 * {@link WriteOptions#dtype()} F16 the converter's FP16 rule applies ({@link DTypePolicy#isLargeMatrix}); BF16,
 * which rwkv.cpp lacks, is widened to F32 unless the rule makes it F16. Block-quantized tensors are copied as
 * they are. The header's data type is informational (the loader only checks the code); it is set as rwkv.cpp's
 * tools set it: the quantizer records its block type, the converter FP16 or FP32. So it is the block type holding
 * the most bytes if there is one, else F16 if any matrix is F16, else F32.
 */
final class RwkvCppWriter {
    static final Set<DType> HOLDABLE = EnumSet.of(DType.F32, DType.F16, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
            DType.Q8_0);
    private static final int VERSION = 101;
    private static final int MAX_KEY = 4096;

    private record Planned(String name, byte[] key, Tensor source, DType target) {
    }

    private RwkvCppWriter() {
    }

    static void write(ModelWeights w, Path path, WriteOptions options) throws IOException {
        DTypePolicy.checkRequest(options.dtype(), HOLDABLE, RwkvCppFormatProvider.NAME, path);
        Tensor emb = w.get("emb.weight");
        if (emb.rank() != 2) {
            throw new WeightFormatException(path, "emb.weight", -1, "must be 2-D (n_vocab, n_embed)");
        }
        int layers = 0;
        while (w.contains("blocks." + layers + ".ln1.weight")) {
            layers++;
        }
        List<Planned> plan = new ArrayList<>(w.names().size());
        Map<DType, Long> matrixBytes = new EnumMap<>(DType.class);
        for (Tensor t : w.tensors()) {
            if (t.rank() < 1 || t.rank() > 3) {
                throw new WeightFormatException(path, t.name(), -1, "has " + t.rank() + " dimensions; rwkv.cpp "
                        + "stores 1 to 3");
            }
            byte[] key = t.name().getBytes(StandardCharsets.UTF_8);
            if (key.length > MAX_KEY) {
                throw new WeightFormatException(path, t.name(), -1, "name is longer than " + MAX_KEY + " bytes");
            }
            for (long d : t.shape()) {
                if (d > 0xFFFFFFFFL) {
                    throw new WeightFormatException(path, t.name(), -1, "dimension " + d + " does not fit rwkv.cpp's u32");
                }
            }
            DType target = DTypePolicy.target(t.name(), t, options.dtype(), HOLDABLE, RwkvCppFormatProvider.NAME, path);
            plan.add(new Planned(t.name(), key, t, target));
            if (t.rank() == 2) {
                matrixBytes.merge(target, target.byteSize(t.elementCount()), Long::sum);
            }
        }
        DType main = matrixBytes.entrySet().stream().filter(e -> e.getKey().isQuantized())
                .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(matrixBytes.containsKey(DType.F16) ? DType.F16 : DType.F32);
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(RwkvCppFormatProvider.MAGIC).putInt(VERSION).putInt((int) emb.dim(0)).putInt((int) emb.dim(1))
                .putInt(layers).putInt(RwkvCppType.code(main)).flip();
        AtomicFiles.write(path, out -> {
            TensorEncoder.writeFully(header, out);
            TensorEncoder encoder = new TensorEncoder();
            for (Planned p : plan) {
                writeRecordHeader(p, out);
                encoder.write(p.source(), p.target(), out);
            }
        });
    }

    /** {@code u32 dims | u32 key length | u32 type | u32 ne[dims] (reversed shape) | key}. */
    private static void writeRecordHeader(Planned p, WritableByteChannel out) throws IOException {
        long[] shape = p.source().shape();
        ByteBuffer b = ByteBuffer.allocate(12 + 4 * shape.length + p.key().length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(shape.length).putInt(p.key().length).putInt(RwkvCppType.code(p.target()));
        for (int d = shape.length - 1; d >= 0; d--) {
            b.putInt((int) shape[d]);
        }
        b.put(p.key()).flip();
        TensorEncoder.writeFully(b, out);
    }
}
