package dev.rwkvedge.format.pth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes a zip archive of stored (uncompressed) entries the way torch's {@code PyTorchStreamWriter} does, so that
 * {@code torch.load} can memory-map the result: each entry's data starts at a multiple of {@value #ALIGNMENT}
 * bytes, reached by padding the local header's extra field with an {@code "FB"} record of {@code 'Z'} bytes.
 * Entry data is streamed; the CRC-32 is computed on the way and patched into the local header afterwards (sizes
 * are known up front, so no data descriptor is needed). Zip64 records (APPNOTE.TXT 4.3.14-4.3.16, 4.5.3) are
 * written for entries, offsets or counts beyond the 32/16-bit fields, so checkpoints over 4 GiB work; layouts as in
 * {@link ZipArchive}.
 */
final class StoredZipWriter {
    static final int ALIGNMENT = 64;
    private static final long U32_MAX = 0xFFFFFFFFL;
    private static final int UTF8_FLAG = 0x0800;

    private record Written(byte[] name, long offset, long size, int crc) {
    }

    private final FileChannel out;
    private final boolean forceZip64;
    private final List<Written> written = new ArrayList<>();

    /**
     * @param forceZip64 write zip64 records even when not needed (lets tests cover them with small files)
     */
    StoredZipWriter(FileChannel out, boolean forceZip64) {
        this.out = out;
        this.forceZip64 = forceZip64;
    }

    /** Callback that writes exactly the announced number of bytes of one entry. */
    @FunctionalInterface
    interface Content {
        void writeTo(WritableByteChannel entry) throws IOException;
    }

    /** Adds an entry of exactly {@code size} bytes produced by {@code content}. */
    void add(String name, long size, Content content) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long offset = out.position();
        boolean zip64 = forceZip64 || size >= U32_MAX;
        int zip64Len = zip64 ? 20 : 0;
        long unpadded = offset + 30 + n.length + zip64Len + 4;
        int pad = (int) ((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT);
        ByteBuffer h = le(30 + n.length + zip64Len + 4 + pad);
        h.putInt(ZipArchive.LOCAL_SIG).putShort((short) (zip64 ? 45 : 20)).putShort((short) UTF8_FLAG)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0x21)
                .putInt(0)
                .putInt(zip64 ? -1 : (int) size).putInt(zip64 ? -1 : (int) size)
                .putShort((short) n.length).putShort((short) (zip64Len + 4 + pad)).put(n);
        if (zip64) {
            h.putShort((short) 1).putShort((short) 16).putLong(size).putLong(size);
        }
        h.put((byte) 'F').put((byte) 'B').putShort((short) pad);
        for (int i = 0; i < pad; i++) {
            h.put((byte) 'Z');
        }
        writeAll(h.flip());
        CRC32 crc = new CRC32();
        long start = out.position();
        content.writeTo(new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                ByteBuffer view = src.duplicate();
                int k = out.write(src);
                view.limit(view.position() + k);
                crc.update(view);
                return k;
            }

            @Override
            public boolean isOpen() {
                return out.isOpen();
            }

            @Override
            public void close() {
            }
        });
        long actual = out.position() - start;
        if (actual != size) {
            throw new IllegalStateException("zip entry " + name + ": announced " + size + " bytes, wrote " + actual);
        }
        int value = (int) crc.getValue();
        out.write(le(4).putInt(value).flip(), offset + 14);
        written.add(new Written(n, offset, size, value));
    }

    /** Writes the central directory and the end records. */
    void finish() throws IOException {
        long cdStart = out.position();
        for (Written w : written) {
            boolean big = forceZip64 || w.size() >= U32_MAX;
            boolean far = forceZip64 || w.offset() >= U32_MAX;
            int extraLen = (big ? 16 : 0) + (far ? 8 : 0);
            ByteBuffer c = le(46 + w.name().length + (extraLen > 0 ? 4 + extraLen : 0));
            c.putInt(ZipArchive.CENTRAL_SIG).putShort((short) (big || far ? 45 : 20))
                    .putShort((short) (big || far ? 45 : 20)).putShort((short) UTF8_FLAG).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0x21).putInt(w.crc())
                    .putInt(big ? -1 : (int) w.size()).putInt(big ? -1 : (int) w.size())
                    .putShort((short) w.name().length).putShort((short) (extraLen > 0 ? 4 + extraLen : 0))
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt(far ? -1 : (int) w.offset()).put(w.name());
            if (extraLen > 0) {
                c.putShort((short) 1).putShort((short) extraLen);
                if (big) {
                    c.putLong(w.size()).putLong(w.size());
                }
                if (far) {
                    c.putLong(w.offset());
                }
            }
            writeAll(c.flip());
        }
        long cdEnd = out.position();
        long cdSize = cdEnd - cdStart;
        boolean zip64 = forceZip64 || written.size() >= 0xFFFF || cdStart >= U32_MAX || cdSize >= U32_MAX;
        if (zip64) {
            ByteBuffer z = le(56 + 20);
            z.putInt(ZipArchive.ZIP64_EOCD_SIG).putLong(44).putShort((short) 45).putShort((short) 45)
                    .putInt(0).putInt(0).putLong(written.size()).putLong(written.size()).putLong(cdSize).putLong(cdStart);
            z.putInt(ZipArchive.ZIP64_LOCATOR_SIG).putInt(0).putLong(cdEnd).putInt(1);
            writeAll(z.flip());
        }
        ByteBuffer e = le(22);
        short count = (short) (zip64 ? 0xFFFF : written.size());
        e.putInt(ZipArchive.EOCD_SIG).putShort((short) 0).putShort((short) 0).putShort(count).putShort(count)
                .putInt(zip64 ? -1 : (int) cdSize).putInt(zip64 ? -1 : (int) cdStart).putShort((short) 0);
        writeAll(e.flip());
    }

    private void writeAll(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
