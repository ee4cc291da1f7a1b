package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.testing.fuzz.FuzzLayout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The {@link FuzzLayout} of each binary weight format, found by walking a well-formed seed file: which bytes are
 * headers and length fields (so most mutations land there) and which ranges are whole records.
 */
final class FormatLayouts {
    private FormatLayouts() {
    }

    /**
     * rwkv.cpp: the 24-byte header's six u32 fields, then per tensor the record header
     * {@code dims | key_len | type | ne[dims] | key} (hot, fields) and the whole record (header + data).
     */
    static FuzzLayout rwkvCpp(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        FuzzLayout.Builder l = FuzzLayout.builder().hot(0, 24);
        for (int i = 0; i < 6; i++) {
            l.field(4L * i, 4);
        }
        int pos = 24;
        while (pos + 12 <= file.length) {
            int dims = b.getInt(pos);
            int keyLen = b.getInt(pos + 4);
            int type = b.getInt(pos + 8);
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                l.field(pos + 12L + 4L * d, 4);
                elements *= Integer.toUnsignedLong(b.getInt(pos + 12 + 4 * d));
            }
            l.field(pos, 4).field(pos + 4, 4).field(pos + 8, 4);
            int headerEnd = pos + 12 + 4 * dims + keyLen;
            l.hot(pos, headerEnd);
            long end = headerEnd + rwkvCppBytes(type, elements);
            l.record(pos, end);
            pos = (int) end;
        }
        return l.build();
    }

    private static long rwkvCppBytes(int type, long elements) {
        return switch (type) {
            case 0 -> 4 * elements;
            case 1 -> 2 * elements;
            case 2 -> elements / 32 * 18;
            case 3 -> elements / 32 * 20;
            case 7 -> elements / 32 * 22;
            case 8 -> elements / 32 * 24;
            case 9 -> elements / 32 * 34;
            default -> throw new IllegalArgumentException("seed has rwkv.cpp type " + type);
        };
    }

    /** safetensors (and the rwkv-edge container): the u64 header length and the JSON header. */
    static FuzzLayout safetensors(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return FuzzLayout.builder().hot(0, 8 + n).field(0, 8).field(0, 4).build();
    }

    /**
     * A torch zip: every local file header (30 bytes + name + extra), central directory record, (zip64) end of
     * central directory, with their size, offset, count and length fields; the whole {@code data.pkl} payload;
     * and each local entry (header + data) as a record.
     */
    static FuzzLayout zip(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        FuzzLayout.Builder l = FuzzLayout.builder();
        int lastLocal = -1;
        for (int p = 0; p + 4 <= file.length; p++) {
            if (file[p] != 'P' || file[p + 1] != 'K') {
                continue;
            }
            int sig = b.getInt(p);
            if (sig == 0x04034b50 && p + 30 <= file.length) {
                int nameLen = b.getShort(p + 26) & 0xFFFF;
                int extraLen = b.getShort(p + 28) & 0xFFFF;
                int dataStart = p + 30 + nameLen + extraLen;
                l.hot(p, Math.min(dataStart, file.length));
                fields(l, p, 4, 6, 8, 10, 12, 14);
                fieldsU32(l, p, 14, 18, 22);
                if (lastLocal >= 0) {
                    l.record(lastLocal, p);
                }
                lastLocal = p;
                String name = new String(file, p + 30, Math.min(nameLen, file.length - p - 30),
                        java.nio.charset.StandardCharsets.UTF_8);
                long size = Integer.toUnsignedLong(b.getInt(p + 18));
                if (name.endsWith("data.pkl") || name.endsWith("version") || name.endsWith("byteorder")) {
                    l.hot(dataStart, Math.min(dataStart + size, file.length));
                }
            } else if (sig == 0x02014b50 && p + 46 <= file.length) {
                if (lastLocal >= 0) {
                    l.record(lastLocal, p);
                    lastLocal = -1;
                }
                int len = 46 + (b.getShort(p + 28) & 0xFFFF) + (b.getShort(p + 30) & 0xFFFF) + (b.getShort(p + 32) & 0xFFFF);
                l.hot(p, Math.min(p + len, file.length)).record(p, Math.min(p + len, file.length));
                fields(l, p, 4, 6, 8, 10, 28, 30, 32, 34);
                fieldsU32(l, p, 20, 24, 42);
            } else if (sig == 0x06054b50 && p + 22 <= file.length) {
                l.hot(p, file.length);
                fields(l, p, 4, 6, 8, 10, 20);
                fieldsU32(l, p, 12, 16);
            } else if (sig == 0x06064b50 && p + 56 <= file.length) {
                l.hot(p, p + 56);
                for (int f = 24; f <= 48; f += 8) {
                    l.field(p + f, 8);
                }
            } else if (sig == 0x07064b50 && p + 20 <= file.length) {
                l.hot(p, p + 20).field(p + 8, 8);
            }
        }
        return l.build();
    }

    private static void fields(FuzzLayout.Builder l, int base, int... offsets) {
        for (int o : offsets) {
            l.field(base + o, 2);
        }
    }

    private static void fieldsU32(FuzzLayout.Builder l, int base, int... offsets) {
        for (int o : offsets) {
            l.field(base + o, 4);
        }
    }
}
