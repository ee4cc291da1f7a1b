package dev.rwkvedge.format.pth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds small synthetic torch-style zip archives and pickles for tests (never copies of fixtures). */
final class TestArchives {
    private TestArchives() {
    }

    /** Writes a zip with the given entries, all STORED except those named in {@code deflated}. */
    static Path zip(Path file, Map<String, byte[]> entries, String... deflated) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                if (java.util.Arrays.asList(deflated).contains(e.getKey())) {
                    ze.setMethod(ZipEntry.DEFLATED);
                } else {
                    ze.setMethod(ZipEntry.STORED);
                    ze.setSize(e.getValue().length);
                    ze.setCompressedSize(e.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    ze.setCrc(crc.getValue());
                }
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return file;
    }

    /** A torch-like checkpoint {@code archive/data.pkl} + storages {@code archive/data/<key>}. */
    static Path checkpoint(Path file, byte[] pickle, Map<String, byte[]> storages, String... deflated) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put("archive/data/" + k, v));
        entries.put("archive/version", "3\n".getBytes());
        return zip(file, entries, deflated);
    }

    /** A hand-assembled pickle, opcode by opcode (names as in pickletools). */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle proto2() {
            return op(0x80, 2);
        }

        Pickle unicode(String s) {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            op('X', b.length, b.length >>> 8, b.length >>> 16, b.length >>> 24);
            out.writeBytes(b);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return this;
        }

        Pickle int1(int v) {
            return op('K', v);
        }

        /** ('storage', torch.FloatStorage, key, 'cpu', numel) then BINPERSID. */
        Pickle storage(String type, String key, int numel) {
            op('(');
            unicode("storage");
            global("torch", type);
            unicode(key);
            unicode("cpu");
            int1(numel);
            return op('t', 'Q');
        }

        /** _rebuild_tensor_v2(storage(key), 0, size, stride, False, OrderedDict()) with 1-D or 2-D shapes. */
        Pickle tensor(String type, String key, int numel, int[] size, int[] stride) {
            global("torch._utils", "_rebuild_tensor_v2");
            op('(');
            storage(type, key, numel);
            int1(0);
            tuple(size);
            tuple(stride);
            op(0x89);
            global("collections", "OrderedDict");
            return op(')', 'R', 't', 'R');
        }

        private void tuple(int[] v) {
            for (int x : v) {
                int1(x);
            }
            op(0x84 + v.length);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
