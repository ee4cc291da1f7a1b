package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.blinkdl.BlinkDlLayout;
import dev.rwkvedge.format.io.MappedFile;
import dev.rwkvedge.format.pth.PickleValues.Storage;
import dev.rwkvedge.format.pth.PickleValues.TensorRef;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Format {@code pth}: PyTorch checkpoints written by {@code torch.save} (the zip format of torch ≥ 1.6) holding a
 * BlinkDL RWKV state dict, read without Python and without running the pickle.
 *
 * <pre>
 * &lt;root&gt;/data.pkl    pickle (protocol 2): {"emb.weight": _rebuild_tensor_v2(persid(('storage', torch.BFloat16Storage,
 *                    '0', 'cpu', numel)), offset, size, stride, requires_grad, hooks), …}
 * &lt;root&gt;/data/0…n   raw little-endian storages, one zip record each, stored (not compressed), 64-byte aligned
 * &lt;root&gt;/version     "3"   (torch ≥ 2.1 adds &lt;root&gt;/byteorder "little")
 * </pre>
 * The archive is mapped ({@link ZipArchive}), the pickle interpreted by the restricted {@link Unpickler}, and each
 * tensor becomes a view of its storage record (contiguous, bounds-checked; no copy). The BlinkDL state dict is then
 * converted to the canonical layout by {@link BlinkDlLayout#toCanonical}. {@link #write} produces the layout of
 * torch 1.13 ({@link PthWriter}). See torch/serialization.py ({@code _save}, {@code _load}) and
 * torch/_utils.py ({@code _rebuild_tensor_v2}).
 */
public final class PthFormatProvider implements WeightFormatProvider {
    public static final String NAME = "pth";
    /** torch's legacy (pre-1.6) format starts with pickle PROTO 2 and LONG1 of its magic number 0x1950a86a20f9469cfc6c. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c,
            0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeResult probe(Path path, ByteBuffer head) {
        ByteBuffer h = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (startsWith(h, LEGACY_MAGIC)) {
            return new ProbeResult(50, "legacy torch.save format (before torch 1.6), which cannot be read; re-save it "
                    + "with a current torch");
        }
        if (h.remaining() < 30 || h.getInt(0) != ZipArchive.LOCAL_SIG) {
            return ProbeResult.no("not a zip archive (torch.save checkpoints are zip files)");
        }
        int nameLen = Short.toUnsignedInt(h.getShort(26));
        if (h.remaining() < 30 + nameLen) {
            return new ProbeResult(30, "a zip archive");
        }
        byte[] name = new byte[nameLen];
        h.get(30, name);
        String first = new String(name, StandardCharsets.UTF_8);
        if (first.endsWith("/data.pkl")) {
            return ProbeResult.certain("torch.save zip checkpoint (" + first + ")");
        }
        return new ProbeResult(30, "a zip archive whose first entry is " + first + ", not <root>/data.pkl");
    }

    private static boolean startsWith(ByteBuffer h, byte[] prefix) {
        if (h.remaining() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (h.get(i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ModelWeights open(Path path) throws IOException {
        MappedFile mapped = MappedFile.map(path);
        try {
            return read(path, mapped.segment()).resource(mapped::close).build();
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    private static ModelWeights.Builder read(Path path, MemorySegment file) {
        byte[] start = file.asSlice(0, Math.min(file.byteSize(), LEGACY_MAGIC.length)).toArray(ValueLayout.JAVA_BYTE);
        if (Arrays.equals(start, LEGACY_MAGIC)) {
            throw new WeightFormatException(path, null, 0, "legacy torch.save format (before torch 1.6) is not "
                    + "supported; load and re-save it with a current torch (torch.save(torch.load(f), f2))");
        }
        ZipArchive zip = ZipArchive.read(path, file);
        String root = root(path, zip);
        zip.find(root + "/byteorder").ifPresent(e -> {
            String order = new String(zip.data(e).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new WeightFormatException(path, e.name(), e.dataOffset(), "byte order '" + order
                        + "' is not supported; only little-endian checkpoints can be read");
            }
        });
        ZipArchive.Entry pkl = zip.find(root + "/data.pkl").orElseThrow();
        Map<String, Storage> storages = new HashMap<>();
        Unpickler unpickler = new Unpickler(path, pkl.name(), pkl.dataOffset(), zip.data(pkl),
                (key, type, numel, at) -> storages.computeIfAbsent(key, k -> storage(path, zip, root, k, type, numel, at)),
                file.byteSize());
        Map<?, ?> stateDict = stateDict(path, unpickler.load());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            if (e.getKey() instanceof String key && e.getValue() instanceof TensorRef ref) {
                tensors.put(key, tensor(path, key, ref));
            } else {
                ignored.add(String.valueOf(e.getKey()));
            }
        }
        if (tensors.isEmpty()) {
            throw new WeightFormatException(path, "the checkpoint holds no tensors: not a model state dict");
        }
        ModelWeights.Builder b = ModelWeights.builder(path, NAME)
                .metadata("pth.root", root)
                .metadata("source.layout", "blinkdl");
        if (!ignored.isEmpty()) {
            b.metadata("pth.ignored", String.join(",", ignored.subList(0, Math.min(ignored.size(), 32))));
        }
        for (Tensor t : BlinkDlLayout.toCanonical(tensors, path)) {
            b.put(t);
        }
        return b;
    }

    /** The archive's root folder: the one {@code X} with an entry {@code X/data.pkl}. */
    private static String root(Path path, ZipArchive zip) {
        String root = null;
        for (ZipArchive.Entry e : zip.entries()) {
            String n = e.name();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                if (root != null) {
                    throw new WeightFormatException(path, n, e.localHeaderOffset(), "second data.pkl in the archive "
                            + "(first under " + root + "/): not a single torch checkpoint");
                }
                root = n.substring(0, n.length() - "/data.pkl".length());
            }
        }
        if (root == null) {
            throw new WeightFormatException(path, "zip archive without a <root>/data.pkl entry: not a torch.save "
                    + "checkpoint");
        }
        return root;
    }

    private static Storage storage(Path path, ZipArchive zip, String root, String key, TorchStorageType type,
                                   long numel, long at) {
        String name = root + "/data/" + key;
        ZipArchive.Entry e = zip.find(name).orElseThrow(() -> new WeightFormatException(path, name, at,
                "the pickle refers to storage '" + key + "', which the archive does not contain: corrupt checkpoint"));
        MemorySegment bytes = zip.data(e);
        long need;
        try {
            need = Math.multiplyExact(numel, (long) type.elementBytes());
        } catch (ArithmeticException ex) {
            throw new WeightFormatException(path, name, at, "storage size " + numel + " overflows: corrupt checkpoint");
        }
        if (need > bytes.byteSize()) {
            throw new WeightFormatException(path, name, e.dataOffset(), "storage of " + numel + " " + type.torchDtype()
                    + " elements needs " + need + " bytes, the record holds " + bytes.byteSize()
                    + ": the file is truncated or corrupt");
        }
        return new Storage(key, type, numel, bytes.asSlice(0, need), e.dataOffset());
    }

    private static Map<?, ?> stateDict(Path path, Object top) {
        if (!(top instanceof Map<?, ?> m)) {
            throw new WeightFormatException(path, "the checkpoint's top-level object is not a dict: not a state dict");
        }
        boolean hasTensor = m.values().stream().anyMatch(v -> v instanceof TensorRef);
        if (!hasTensor && m.get("state_dict") instanceof Map<?, ?> inner) {
            return inner;
        }
        return m;
    }

    /** A view of the tensor's bytes in its storage record, after checking it is contiguous and in bounds. */
    private static Tensor tensor(Path path, String key, TensorRef ref) {
        Storage s = ref.storage();
        TorchStorageType type = s.type();
        long[] size = ref.size();
        long count;
        try {
            count = Tensor.count(size);
        } catch (ArithmeticException e) {
            throw new WeightFormatException(path, key, s.recordOffset(), "shape " + Arrays.toString(size) + " overflows");
        }
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && ref.stride()[i] != expected && count > 0) {
                throw new WeightFormatException(path, key, s.recordOffset(), "is not contiguous (size "
                        + Arrays.toString(size) + ", stride " + Arrays.toString(ref.stride()) + "); save the state dict "
                        + "after .contiguous()");
            }
            expected *= size[i];
        }
        if (ref.offset() > s.numel() || count > s.numel() - ref.offset()) {
            throw new WeightFormatException(path, key, s.recordOffset(), "elements " + ref.offset() + ".."
                    + (ref.offset() + count) + " lie outside its storage of " + s.numel() + ": corrupt checkpoint");
        }
        int es = type.elementBytes();
        MemorySegment bytes = s.bytes().asSlice(ref.offset() * es, count * es);
        if (type == TorchStorageType.LONG) {
            return narrowLong(path, key, bytes, size, s.recordOffset() + ref.offset() * es);
        }
        DType dtype = type.dtype();
        if (dtype == null) {
            throw new WeightFormatException(path, key, s.recordOffset(), "has type torch." + type.torchDtype()
                    + ", which rwkv-edge does not read (it reads float32, float16, bfloat16, int32, int64, int8)");
        }
        return new Tensor(key, dtype, size, bytes);
    }

    /** int64 tensors (rare in a state dict: counters, indices) become I32 when every value fits. */
    private static Tensor narrowLong(Path path, String key, MemorySegment bytes, long[] size, long fileOffset) {
        long n = bytes.byteSize() / 8;
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(n * 4)]);
        for (long i = 0; i < n; i++) {
            long v = bytes.get(I64, 8 * i);
            if (v != (int) v) {
                throw new WeightFormatException(path, key, fileOffset + 8 * i, "int64 value " + v
                        + " does not fit in int32");
            }
            out.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i, (int) v);
        }
        return new Tensor(key, DType.I32, size, out);
    }

    @Override
    public boolean canWrite() {
        return true;
    }

    /** Writes a torch 1.13-style checkpoint of the weights in BlinkDL layout (F32, F16, BF16, I32, I8). */
    @Override
    public void write(ModelWeights weights, Path path, WriteOptions options) throws IOException {
        PthWriter.write(weights, path, options, false);
    }
}
