package dev.rwkvedge.bench;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a seeded synthetic model (see {@link SyntheticModel}) as an rwkv.cpp {@code .bin} file, for
 * {@code rwkv-edge bench} on real shapes:
 * <pre>
 * java -cp rwkv-bench/target/benchmarks.jar dev.rwkvedge.bench.SynthModelFile v5.2 12 768 65536 q8_0 /tmp/169m-q8_0.bin
 * </pre>
 * F32 files are generated in F32; every other type from the F16 model, and block types quantize the 2-D matrices
 * except the embedding and the head, which stay F16 — rwkv.cpp's recommended path (rwkv_quantize from FP16, PERF.md).
 */
public final class SynthModelFile {
    private SynthModelFile() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 6) {
            System.err.println("usage: SynthModelFile VERSION LAYERS EMBD VOCAB DTYPE OUT   (e.g. v5.2 12 768 65536 q8_0 out.bin)");
            System.exit(2);
        }
        RwkvVersion version = RwkvVersion.parse(args[0]);
        int layers = Integer.parseInt(args[1]);
        int embd = Integer.parseInt(args[2]);
        int vocab = Integer.parseInt(args[3]);
        DType type = DType.parse(args[4]);
        Path out = Path.of(args[5]);
        SynthSpec spec = new SynthSpec(version, layers, embd, vocab, 0, 64, type == DType.F32 ? DType.F32 : DType.F16, 1);
        long t0 = System.nanoTime();
        try (ModelWeights w = SyntheticModel.generate(spec)) {
            ModelWeights m = type.isQuantized() ? BenchWeights.convertMatrices(w, type) : w;
            write(m, type, out);
        }
        System.out.printf("wrote %s (%s, %.1f s)%n", out, type.id(), (System.nanoTime() - t0) / 1e9);
    }

    /** rwkv.cpp's data type codes (its own numbering, RWKV-MATH.md §4). */
    static int code(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q5_0 -> 7;
            case Q5_1 -> 8;
            case Q8_0 -> 9;
            default -> throw new IllegalArgumentException("rwkv.cpp files cannot hold " + t);
        };
    }

    /** Header (magic, version 101, n_vocab, n_embed, n_layer, type), then per tensor: dims, key length, type, ne (reversed), key, data. */
    static void write(ModelWeights w, DType mainType, Path out) throws IOException {
        ModelConfig c = ModelConfig.of(w);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0x67676d66).putInt(101).putInt(c.nVocab()).putInt(c.nEmbd()).putInt(c.nLayer()).putInt(code(mainType));
            writeFully(ch, h.flip());
            for (Tensor t : w.tensors()) {
                byte[] key = t.name().getBytes(StandardCharsets.UTF_8);
                long[] shape = t.shape();
                ByteBuffer r = ByteBuffer.allocate(12 + 4 * shape.length + key.length).order(ByteOrder.LITTLE_ENDIAN);
                r.putInt(shape.length).putInt(key.length).putInt(code(t.dtype()));
                for (int d = shape.length - 1; d >= 0; d--) {
                    r.putInt(Math.toIntExact(shape[d]));
                }
                r.put(key);
                writeFully(ch, r.flip());
                writeSegment(ch, t.data(), chunk);
            }
        }
    }

    /** Through a direct buffer: heap segments over float[] or short[] have no ByteBuffer view. */
    private static void writeSegment(FileChannel ch, MemorySegment data, ByteBuffer chunk) throws IOException {
        MemorySegment buf = MemorySegment.ofBuffer(chunk.clear());
        for (long off = 0; off < data.byteSize(); off += chunk.capacity()) {
            int n = (int) Math.min(chunk.capacity(), data.byteSize() - off);
            MemorySegment.copy(data, off, buf, 0, n);
            writeFully(ch, chunk.clear().limit(n));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
