package dev.rwkvedge.format.rwkvcpp;

import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.ProbeResult;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Format {@code rwkv-cpp}: rwkv.cpp's ggml-style {@code .bin} model files, versions 100 and 101, all seven data
 * types, memory-mapped through FFM (never copied to the heap; 64-bit offsets, so files beyond 2 GiB work).
 *
 * <pre>
 * header (24 bytes, little-endian u32): magic 0x67676d66 ("fmgg" on disk) | version | n_vocab | n_embed | n_layer | data_type
 * then until EOF, one record per tensor:
 *   u32 dim_count (1..3) | u32 key_length | u32 data_type | u32 ne[dim_count] | key (UTF-8) | data
 * ne[0] is the contiguous dimension (PyTorch shape reversed); no padding anywhere.
 * </pre>
 * See RWKV-MATH.md §4 (rwkv.cpp {@code rwkv_file_format.inc}, {@code rwkv_model_loading.inc}). Writing is done by
 * {@link RwkvCppWriter} (version 101, the converter's FP16 rule).
 */
public final class RwkvCppFormatProvider implements WeightFormatProvider {
    public static final String NAME = "rwkv-cpp";
    static final int MAGIC = 0x67676d66;
    static final int VERSION_MIN = 100;
    static final int VERSION_MAX = 101;
    private static final int MAX_KEY = 4096;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeResult probe(Path path, ByteBuffer head) {
        if (head.remaining() < 8) {
            return ProbeResult.no("file shorter than the 24-byte rwkv.cpp header");
        }
        int magic = head.getInt(0);
        if (magic != MAGIC) {
            return ProbeResult.no(String.format("magic 0x%08x is not rwkv.cpp's 0x%08x", magic, MAGIC));
        }
        int version = head.getInt(4);
        if (version < VERSION_MIN || version > VERSION_MAX) {
            return new ProbeResult(60, "rwkv.cpp magic, but unsupported version " + version);
        }
        return ProbeResult.certain("rwkv.cpp magic, version " + version);
    }

    @Override
    public ModelWeights open(Path path) throws IOException {
        MappedFile mapped = MappedFile.map(path);
        try {
            return parse(path, mapped.segment()).resource(mapped::close).build();
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static ModelWeights.Builder parse(Path path, MemorySegment file) {
        long size = file.byteSize();
        if (size < 24) {
            throw new WeightFormatException(path, null, size, "file is " + size
                    + " bytes, shorter than the 24-byte rwkv.cpp header; is it a model file?");
        }
        int magic = file.get(U32, 0);
        if (magic != MAGIC) {
            throw new WeightFormatException(path, null, 0, String.format(
                    "wrong magic 0x%08x, expected 0x%08x: not an rwkv.cpp model file", magic, MAGIC));
        }
        int version = file.get(U32, 4);
        if (version < VERSION_MIN || version > VERSION_MAX) {
            throw new WeightFormatException(path, null, 4, "file format version " + version
                    + " is not supported (rwkv.cpp accepts 100..101); convert it again with a current rwkv.cpp");
        }
        int nVocab = file.get(U32, 8);
        int nEmbed = file.get(U32, 12);
        int nLayer = file.get(U32, 16);
        int mainType = file.get(U32, 20);
        DType main = RwkvCppType.of(mainType);
        if (main == null) {
            throw new WeightFormatException(path, null, 20, "header data type: " + RwkvCppType.describe(mainType)
                    + "; rwkv-edge reads FP32, FP16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0");
        }
        if (main.isQuantized() && version < 101) {
            throw new WeightFormatException(path, null, 20, "quantized files of format version " + version
                    + " use old block layouts; re-quantize with a current rwkv.cpp");
        }
        ModelWeights.Builder b = ModelWeights.builder(path, NAME)
                .metadata("rwkv-cpp.version", Integer.toString(version))
                .metadata("rwkv-cpp.data_type", main.id());
        long pos = 24;
        while (pos < size) {
            long recordStart = pos;
            if (size - pos < 12) {
                throw new WeightFormatException(path, null, pos, "truncated tensor record header ("
                        + (size - pos) + " bytes left); the file is cut short");
            }
            int dims = file.get(U32, pos);
            int keyLen = file.get(U32, pos + 4);
            int typeCode = file.get(U32, pos + 8);
            pos += 12;
            if (dims < 1 || dims > 3) {
                throw new WeightFormatException(path, null, recordStart, "tensor record has " + Integer.toUnsignedString(dims)
                        + " dimensions, expected 1..3: corrupt file");
            }
            if (keyLen <= 0 || keyLen > MAX_KEY) {
                throw new WeightFormatException(path, null, recordStart + 4, "tensor name length "
                        + Integer.toUnsignedString(keyLen) + " is out of range 1.." + MAX_KEY + ": corrupt file");
            }
            if (size - pos < 4L * dims + keyLen) {
                throw new WeightFormatException(path, null, pos, "truncated tensor record: the file is cut short");
            }
            long[] shape = new long[dims];
            for (int d = 0; d < dims; d++) {
                long ne = Integer.toUnsignedLong(file.get(U32, pos + 4L * d));
                shape[dims - 1 - d] = ne;
            }
            pos += 4L * dims;
            String name = decodeName(path, file, pos, keyLen);
            pos += keyLen;
            DType type = RwkvCppType.of(typeCode);
            if (type == null) {
                throw new WeightFormatException(path, name, recordStart + 8, "data type "
                        + RwkvCppType.describe(typeCode) + " cannot be read; rwkv-edge reads FP32, FP16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0");
            }
            if (type.isQuantized() && version < 101) {
                throw new WeightFormatException(path, name, recordStart + 8, "quantized tensor in a version-"
                        + version + " file (old block layout); re-quantize with a current rwkv.cpp");
            }
            long bytes;
            try {
                if (type.isQuantized() && shape[dims - 1] % type.blockSize() != 0) {
                    throw new WeightFormatException(path, name, recordStart, type + " tensor row length "
                            + shape[dims - 1] + " is not a multiple of " + type.blockSize());
                }
                bytes = type.byteSize(Tensor.count(shape));
            } catch (ArithmeticException e) {
                throw new WeightFormatException(path, name, recordStart, "shape " + java.util.Arrays.toString(shape)
                        + " is too large: corrupt file");
            }
            if (bytes > size - pos) {
                throw new WeightFormatException(path, name, pos, "data of " + bytes + " bytes runs past the end of the file ("
                        + (size - pos) + " bytes left): the file is truncated or corrupt");
            }
            if (b.contains(name)) {
                throw new WeightFormatException(path, name, recordStart, "tensor appears twice: corrupt file");
            }
            b.put(new Tensor(name, type, shape, file.asSlice(pos, bytes)));
            pos += bytes;
        }
        ModelWeights probe = b.build();
        checkHeader(path, probe, nVocab, nEmbed, nLayer);
        return b;
    }

    private static String decodeName(Path path, MemorySegment file, long pos, int len) {
        byte[] key = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            throw new WeightFormatException(path, null, pos, "tensor name is not valid UTF-8: corrupt file");
        }
    }

    /** rwkv.cpp requires emb.weight to be (n_vocab, n_embed); we also check the layer count. */
    private static void checkHeader(Path path, ModelWeights w, int nVocab, int nEmbed, int nLayer) {
        Tensor emb = w.find("emb.weight").orElseThrow(() -> new WeightFormatException(path, "emb.weight", -1,
                "missing: an RWKV model needs an embedding"));
        if (emb.rank() != 2 || emb.dim(0) != Integer.toUnsignedLong(nVocab) || emb.dim(1) != Integer.toUnsignedLong(nEmbed)) {
            throw new WeightFormatException(path, "emb.weight", -1, "shape " + java.util.Arrays.toString(emb.shape())
                    + " disagrees with the header (n_vocab " + Integer.toUnsignedString(nVocab) + ", n_embed "
                    + Integer.toUnsignedString(nEmbed) + ")");
        }
        if (!w.contains("blocks." + (nLayer - 1) + ".ln1.weight") || w.contains("blocks." + nLayer + ".ln1.weight")) {
            throw new WeightFormatException(path, null, 16, "header says " + Integer.toUnsignedString(nLayer)
                    + " layers, the tensors disagree");
        }
    }

    @Override
    public boolean canWrite() {
        return true;
    }

    @Override
    public void write(ModelWeights weights, Path path, WriteOptions options) throws IOException {
        RwkvCppWriter.write(weights, path, options);
    }
}
