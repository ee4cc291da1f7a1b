package dev.rwkvedge.format.pth;

import dev.rwkvedge.model.WeightFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only view of the stored (uncompressed) zip archive that {@code torch.save} writes, over a memory-mapped
 * file: entries are located through the central directory and their data are slices of the mapping. Written
 * from PKWARE's APPNOTE.TXT (6.3.x), only as much as torch checkpoints need: no multi-disk archives, no
 * encryption, and only method 0 (STORED) can be read; a compressed entry is an error naming it.
 *
 * <pre>
 * [local header 1][data 1] … [local header n][data n] [central directory] [zip64 EOCD] [zip64 locator] [EOCD]
 *
 * EOCD (22 bytes + comment), found by scanning back from the end (the comment is at most 65535 bytes):
 *   0 sig 0x06054b50 | 4 disk u16 | 6 cd disk u16 | 8 entries here u16 | 10 entries u16 | 12 cd size u32
 *   16 cd offset u32 | 20 comment length u16
 * zip64 locator (20 bytes, just before the EOCD): 0 sig 0x07064b50 | 4 disk u32 | 8 zip64 EOCD offset u64 | 16 disks u32
 * zip64 EOCD: 0 sig 0x06064b50 | 4 record size u64 | 12 versions | 16 disk u32 | 20 cd disk u32
 *   24 entries here u64 | 32 entries u64 | 40 cd size u64 | 48 cd offset u64
 * central header (46 bytes + name + extra + comment):
 *   0 sig 0x02014b50 | 8 flags u16 | 10 method u16 | 20 compressed size u32 | 24 size u32 | 28 name length u16
 *   30 extra length u16 | 32 comment length u16 | 42 local header offset u32
 *   zip64 extra field (id 0x0001): size, compressed size, local offset as u64, each only if its u32 is 0xFFFFFFFF
 * local header (30 bytes + name + extra, then the data):
 *   0 sig 0x04034b50 | 6 flags | 8 method | 26 name length u16 | 28 extra length u16
 * </pre>
 * Sizes come from the central directory: torch sets flag bit 3 (sizes in a data descriptor after the data), so
 * the local header's sizes are zero. The local header's own extra field is what torch uses to align data to 64
 * bytes, so the data offset must be computed from it. CRCs are not checked, since that would read every byte of
 * a multi-gigabyte file at open; sizes and offsets are all checked against the file.
 */
public final class ZipArchive {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int LOCAL_SIG = 0x04034b50;
    static final int CENTRAL_SIG = 0x02014b50;
    static final int EOCD_SIG = 0x06054b50;
    static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int EOCD_SIZE = 22;
    private static final int CENTRAL_SIZE = 46;
    private static final int LOCAL_SIZE = 30;
    private static final long U32_MAX = 0xFFFFFFFFL;

    /**
     * One member of the archive.
     *
     * @param dataOffset where its bytes start in the file
     */
    public record Entry(String name, int method, int flags, long compressedSize, long size, long localHeaderOffset,
                        long dataOffset) {
    }

    private final Path path;
    private final MemorySegment file;
    private final Map<String, Entry> entries;

    private ZipArchive(Path path, MemorySegment file, Map<String, Entry> entries) {
        this.path = path;
        this.file = file;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Reads the directory of the zip archive in {@code file}.
     *
     * @throws WeightFormatException naming the file, entry and byte offset of the first problem
     */
    public static ZipArchive read(Path path, MemorySegment file) {
        long size = file.byteSize();
        long eocd = findEocd(file);
        if (eocd < 0) {
            boolean zipStart = size >= 4 && file.get(U32, 0) == LOCAL_SIG;
            throw new WeightFormatException(path, null, size, zipStart
                    ? "zip archive without its central directory (no End Of Central Directory record): the file is "
                    + "truncated; a complete torch.save checkpoint ends with the zip directory"
                    : "not a zip archive (no End Of Central Directory record); torch.save checkpoints are zip files");
        }
        int disk = u16(file, eocd + 4);
        int cdDisk = u16(file, eocd + 6);
        long count = u16(file, eocd + 10);
        long cdSize = u32(file, eocd + 12);
        long cdOffset = u32(file, eocd + 16);
        long cdLimit = eocd;
        if (disk != 0 || cdDisk != 0) {
            throw new WeightFormatException(path, null, eocd, "multi-disk (split) zip archives are not supported");
        }
        if (eocd >= 20 && file.get(U32, eocd - 20) == ZIP64_LOCATOR_SIG) {
            long z64 = file.get(U64, eocd - 12);
            if (z64 < 0 || z64 > eocd - 20 - 56) {
                throw new WeightFormatException(path, null, eocd - 12, "zip64 end of central directory offset " + z64
                        + " lies outside the file: corrupt or truncated archive");
            }
            if (file.get(U32, z64) != ZIP64_EOCD_SIG) {
                throw new WeightFormatException(path, null, z64, "no zip64 end of central directory record where the "
                        + "zip64 locator points: corrupt archive");
            }
            count = file.get(U64, z64 + 32);
            cdSize = file.get(U64, z64 + 40);
            cdOffset = file.get(U64, z64 + 48);
            cdLimit = z64;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw new WeightFormatException(path, null, eocd, "central directory (offset " + cdOffset + ", "
                    + cdSize + " bytes) does not fit in the file: corrupt or truncated archive");
        }
        if (count < 0 || count > cdSize / CENTRAL_SIZE) {
            throw new WeightFormatException(path, null, eocd, "central directory claims " + count + " entries in "
                    + cdSize + " bytes: corrupt archive");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long pos = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            Entry e = readCentral(path, file, pos, cdEnd, cdOffset);
            if (entries.putIfAbsent(e.name(), e) != null) {
                throw new WeightFormatException(path, e.name(), pos, "zip entry appears twice: corrupt archive");
            }
            pos += CENTRAL_SIZE + u16(file, pos + 28) + u16(file, pos + 30) + u16(file, pos + 32);
        }
        return new ZipArchive(path, file, entries);
    }

    /** The EOCD position, scanning back over at most a 65535-byte comment, or −1. */
    private static long findEocd(MemorySegment file) {
        long size = file.byteSize();
        long stop = Math.max(0, size - EOCD_SIZE - 0xFFFF);
        for (long p = size - EOCD_SIZE; p >= stop; p--) {
            if (file.get(U32, p) == EOCD_SIG && p + EOCD_SIZE + u16(file, p + 20) <= size) {
                return p;
            }
        }
        return -1;
    }

    private static Entry readCentral(Path path, MemorySegment file, long pos, long cdEnd, long cdOffset) {
        if (cdEnd - pos < CENTRAL_SIZE || file.get(U32, pos) != CENTRAL_SIG) {
            throw new WeightFormatException(path, null, pos, "bad central directory header: corrupt archive");
        }
        int flags = u16(file, pos + 8);
        int method = u16(file, pos + 10);
        long csize = u32(file, pos + 20);
        long usize = u32(file, pos + 24);
        int nameLen = u16(file, pos + 28);
        int extraLen = u16(file, pos + 30);
        int commentLen = u16(file, pos + 32);
        long local = u32(file, pos + 42);
        if (cdEnd - pos - CENTRAL_SIZE < (long) nameLen + extraLen + commentLen) {
            throw new WeightFormatException(path, null, pos, "central directory header runs past the directory: "
                    + "corrupt archive");
        }
        String name = new String(file.asSlice(pos + CENTRAL_SIZE, nameLen).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8);
        long extra = pos + CENTRAL_SIZE + nameLen;
        long extraEnd = extra + extraLen;
        while (extraEnd - extra >= 4) {
            int id = u16(file, extra);
            int len = u16(file, extra + 2);
            if (extraEnd - extra - 4 < len) {
                throw new WeightFormatException(path, name, extra, "zip extra field runs past its header: corrupt archive");
            }
            if (id == 0x0001) {
                long q = extra + 4;
                long qEnd = q + len;
                if (usize == U32_MAX) {
                    usize = zip64Field(path, name, file, q, qEnd);
                    q += 8;
                }
                if (csize == U32_MAX) {
                    csize = zip64Field(path, name, file, q, qEnd);
                    q += 8;
                }
                if (local == U32_MAX) {
                    local = zip64Field(path, name, file, q, qEnd);
                }
            }
            extra += 4 + len;
        }
        if ((flags & 1) != 0) {
            throw new WeightFormatException(path, name, pos, "zip entry is encrypted; torch checkpoints never are");
        }
        if (local < 0 || local > cdOffset - LOCAL_SIZE) {
            throw new WeightFormatException(path, name, pos, "local header offset " + local + " is outside the "
                    + "archive data: corrupt archive");
        }
        if (file.get(U32, local) != LOCAL_SIG) {
            throw new WeightFormatException(path, name, local, "no local file header where the central directory "
                    + "points: corrupt archive");
        }
        int localName = u16(file, local + 26);
        int localExtra = u16(file, local + 28);
        long data = local + LOCAL_SIZE + localName + localExtra;
        if (localName != nameLen || file.asSlice(local + LOCAL_SIZE, localName).mismatch(
                file.asSlice(pos + CENTRAL_SIZE, nameLen)) != -1) {
            throw new WeightFormatException(path, name, local, "local header names a different entry: corrupt archive");
        }
        if (csize < 0 || data > cdOffset || csize > cdOffset - data) {
            throw new WeightFormatException(path, name, data, "entry data (" + csize + " bytes) run past the start "
                    + "of the central directory at " + cdOffset + ": corrupt or truncated archive");
        }
        return new Entry(name, method, flags, csize, usize, local, data);
    }

    private static long zip64Field(Path path, String name, MemorySegment file, long q, long end) {
        if (end - q < 8) {
            throw new WeightFormatException(path, name, q, "zip64 extra field is too short: corrupt archive");
        }
        long v = file.get(U64, q);
        if (v < 0) {
            throw new WeightFormatException(path, name, q, "zip64 size or offset " + Long.toUnsignedString(v)
                    + " is out of range: corrupt archive");
        }
        return v;
    }

    private static int u16(MemorySegment f, long at) {
        return Short.toUnsignedInt(f.get(U16, at));
    }

    private static long u32(MemorySegment f, long at) {
        return Integer.toUnsignedLong(f.get(U32, at));
    }

    public Path path() {
        return path;
    }

    /** Entries in central-directory order. */
    public List<Entry> entries() {
        return new ArrayList<>(entries.values());
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /**
     * The bytes of a stored entry, a slice of the mapping.
     *
     * @throws WeightFormatException if the entry is compressed, naming it
     */
    public MemorySegment data(Entry e) {
        if (e.method() != 0) {
            throw new WeightFormatException(path, e.name(), e.localHeaderOffset(), "zip entry is compressed (method "
                    + e.method() + (e.method() == 8 ? ", deflate" : "") + "); torch.save stores entries uncompressed "
                    + "so tensors can be memory-mapped. Re-save the checkpoint with torch.save, or re-zip it with "
                    + "'zip -0' (store only)");
        }
        if (e.size() != e.compressedSize()) {
            throw new WeightFormatException(path, e.name(), e.localHeaderOffset(), "stored zip entry has size "
                    + e.size() + " but occupies " + e.compressedSize() + " bytes: corrupt archive");
        }
        return file.asSlice(e.dataOffset(), e.size());
    }
}
