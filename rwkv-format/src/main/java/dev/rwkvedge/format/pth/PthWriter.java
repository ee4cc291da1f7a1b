package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.blinkdl.BlinkDlLayout;
import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.format.io.DTypePolicy;
import dev.rwkvedge.format.io.TensorEncoder;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a BlinkDL state dict as torch 1.13's {@code torch.save} does (models/FIXTURES.md "Container details"):
 * a stored zip ({@link StoredZipWriter}) with {@code <root>/data.pkl} (protocol 2, {@link PickleWriter}),
 * one 64-byte-aligned record {@code <root>/data/<i>} per tensor in state-dict order, and {@code <root>/version}
 * = "3". The root folder is the file name without its extension, as torch names it. Values are converted back
 * from the canonical layout by {@link BlinkDlLayout#fromCanonical} and streamed from their source.
 */
final class PthWriter {
    static final Set<DType> HOLDABLE = EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.I32, DType.I8);

    private record Planned(Tensor source, DType target) {
    }

    private PthWriter() {
    }

    static void write(ModelWeights weights, Path path, WriteOptions options, boolean forceZip64) throws IOException {
        DTypePolicy.checkRequest(options.dtype(), HOLDABLE, PthFormatProvider.NAME, path);
        List<Tensor> tensors = BlinkDlLayout.fromCanonical(weights.tensors(), weights.source());
        String root = root(path);
        PickleWriter pickle = new PickleWriter();
        List<Planned> plan = new ArrayList<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            DType target = DTypePolicy.target(t.name(), t, options.dtype(), HOLDABLE, PthFormatProvider.NAME, path);
            pickle.tensor(t.name(), storageType(target), Integer.toString(i), t.shape());
            plan.add(new Planned(t, target));
        }
        byte[] pkl = pickle.finish();
        AtomicFiles.write(path, out -> {
            StoredZipWriter zip = new StoredZipWriter(out, forceZip64);
            zip.add(root + "/data.pkl", pkl.length, e -> TensorEncoder.writeFully(ByteBuffer.wrap(pkl), e));
            TensorEncoder encoder = new TensorEncoder();
            for (int i = 0; i < plan.size(); i++) {
                Planned p = plan.get(i);
                zip.add(root + "/data/" + i, p.target().byteSize(p.source().elementCount()),
                        e -> encoder.write(p.source(), p.target(), e));
            }
            byte[] version = "3\n".getBytes(StandardCharsets.US_ASCII);
            zip.add(root + "/version", version.length, e -> TensorEncoder.writeFully(ByteBuffer.wrap(version), e));
            zip.finish();
        });
    }

    private static TorchStorageType storageType(DType d) {
        return switch (d) {
            case F32 -> TorchStorageType.FLOAT;
            case F16 -> TorchStorageType.HALF;
            case BF16 -> TorchStorageType.BFLOAT16;
            case I32 -> TorchStorageType.INT;
            case I8 -> TorchStorageType.CHAR;
            default -> throw new IllegalArgumentException(d + " has no torch storage type");
        };
    }

    /** torch names the archive folder after the file, without extension; other characters become '_'. */
    static String root(Path path) {
        String name = String.valueOf(path.getFileName());
        int dot = name.lastIndexOf('.');
        String stem = (dot > 0 ? name.substring(0, dot) : name).replaceAll("[^A-Za-z0-9_.-]", "_");
        return stem.isEmpty() ? "archive" : stem;
    }
}
