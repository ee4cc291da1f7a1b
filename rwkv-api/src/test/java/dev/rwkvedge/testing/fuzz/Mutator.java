package dev.rwkvedge.testing.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Produces corrupted variants of a real seed file, deterministically from a seed: each variant applies one to
 * three {@link Mutation}s chosen from the generic ones below and any format-specific ones the caller adds.
 * Three quarters of all edit positions fall into the layout's {@link FuzzLayout#hot() hot} ranges.
 *
 * <p>Generic mutations: bit flips, byte runs (0x00/0xFF/0x80/random), truncation, insertion and deletion of a
 * few bytes, integer field edits with boundary values (0, −1, 2³¹−1, 2³², 2⁴⁰, 2⁶³−1, the file size ± 1, …),
 * decimal number edits in text (huge, negative, fractional, overflowing numbers) and duplicated or removed records.
 */
public final class Mutator {
    private static final long[] INTERESTING = {0, 1, 2, 3, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
        0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE};
    private static final String[] NUMBERS = {"0", "-1", "1", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "1e400", "-0", "1.5", "4294967296", "2147483648", "99999999999999999999999999",
        "1099511627776"};

    private final List<Mutation> mutations;

    /** A mutator with the generic mutations plus {@code extra} (each of which is drawn twice as often). */
    public Mutator(Mutation... extra) {
        List<Mutation> all = new ArrayList<>(List.of(
                named("bit-flips", Mutator::bitFlips),
                named("byte-run", Mutator::byteRun),
                named("truncate", Mutator::truncate),
                named("insert-bytes", Mutator::insertBytes),
                named("delete-bytes", Mutator::deleteBytes),
                named("int-field", Mutator::intField),
                named("int-field", Mutator::intField),
                named("text-number", Mutator::textNumber),
                named("duplicate-record", Mutator::duplicateRecord),
                named("remove-record", Mutator::removeRecord)));
        for (Mutation m : extra) {
            all.add(m);
            all.add(m);
        }
        this.mutations = List.copyOf(all);
    }

    /** A mutated input and what was done to it. */
    public record Mutant(byte[] bytes, String description) {
    }

    /** The variant number {@code iteration} of {@code seed} for the run seeded with {@code runSeed}. */
    public Mutant mutate(byte[] seed, FuzzLayout layout, long runSeed, long iteration) {
        SplittableRandom r = new SplittableRandom(runSeed * 0x9E3779B97F4A7C15L + iteration);
        int count = 1 + r.nextInt(3);
        byte[] out = seed;
        StringBuilder what = new StringBuilder();
        for (int i = 0; i < count; i++) {
            Mutation m = mutations.get(r.nextInt(mutations.size()));
            out = m.apply(out, layout, r);
            what.append(i == 0 ? "" : "+").append(m.name());
        }
        return new Mutant(out, what.toString());
    }

    private interface Body {
        byte[] apply(byte[] in, FuzzLayout layout, SplittableRandom r);
    }

    private static Mutation named(String name, Body body) {
        return new Mutation() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public byte[] apply(byte[] input, FuzzLayout layout, SplittableRandom random) {
                return body.apply(input, layout, random);
            }
        };
    }

    /** A position in {@code [0, length)}: in a hot range three times out of four. */
    public static int position(FuzzLayout layout, int length, SplittableRandom r) {
        if (length == 0) {
            return 0;
        }
        if (!layout.hot().isEmpty() && r.nextInt(4) != 0) {
            long[] range = layout.hot().get(r.nextInt(layout.hot().size()));
            long from = Math.min(range[0], length - 1);
            long to = Math.min(range[1], length);
            if (to > from) {
                return (int) (from + r.nextLong(to - from));
            }
        }
        return r.nextInt(length);
    }

    /** A boundary value for an integer field of the given original value and file size. */
    public static long interesting(long original, int fileSize, SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> original + (r.nextBoolean() ? 1 : -1);
            case 1 -> original * 2;
            case 2 -> fileSize + r.nextInt(3) - 1L;
            case 3 -> r.nextLong();
            default -> INTERESTING[r.nextInt(INTERESTING.length)];
        };
    }

    private static byte[] bitFlips(byte[] in, FuzzLayout layout, SplittableRandom r) {
        byte[] out = in.clone();
        int flips = 1 + r.nextInt(8);
        for (int i = 0; i < flips && out.length > 0; i++) {
            out[position(layout, out.length, r)] ^= (byte) (1 << r.nextInt(8));
        }
        return out;
    }

    private static byte[] byteRun(byte[] in, FuzzLayout layout, SplittableRandom r) {
        byte[] out = in.clone();
        if (out.length == 0) {
            return out;
        }
        int at = position(layout, out.length, r);
        int len = Math.min(1 + r.nextInt(64), out.length - at);
        int[] fills = {0x00, 0xFF, 0x80, 0x7F, r.nextInt(256)};
        Arrays.fill(out, at, at + len, (byte) fills[r.nextInt(fills.length)]);
        return out;
    }

    private static byte[] truncate(byte[] in, FuzzLayout layout, SplittableRandom r) {
        return Arrays.copyOf(in, position(layout, in.length, r));
    }

    private static byte[] insertBytes(byte[] in, FuzzLayout layout, SplittableRandom r) {
        int at = position(layout, in.length, r);
        byte[] ins = new byte[1 + r.nextInt(16)];
        r.nextBytes(ins);
        return splice(in, at, 0, ins);
    }

    private static byte[] deleteBytes(byte[] in, FuzzLayout layout, SplittableRandom r) {
        int at = position(layout, in.length, r);
        return splice(in, at, Math.min(1 + r.nextInt(16), in.length - at), new byte[0]);
    }

    private static byte[] intField(byte[] in, FuzzLayout layout, SplittableRandom r) {
        byte[] out = in.clone();
        long at;
        int width;
        if (!layout.fields().isEmpty() && r.nextInt(4) != 0) {
            long[] f = layout.fields().get(r.nextInt(layout.fields().size()));
            at = f[0];
            width = (int) f[1];
        } else {
            at = position(layout, out.length, r);
            width = 1 << r.nextInt(4);
        }
        if (at + width > out.length) {
            return out;
        }
        long original = 0;
        for (int i = width - 1; i >= 0; i--) {
            original = original << 8 | (out[(int) at + i] & 0xFF);
        }
        long v = interesting(original, out.length, r);
        for (int i = 0; i < width; i++) {
            out[(int) at + i] = (byte) (v >>> (8 * i));
        }
        return out;
    }

    private static byte[] textNumber(byte[] in, FuzzLayout layout, SplittableRandom r) {
        int at = position(layout, in.length, r);
        int start = -1;
        for (int i = at; i < Math.min(in.length, at + 512); i++) {
            if (in[i] >= '0' && in[i] <= '9') {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return in.clone();
        }
        int end = start;
        while (end < in.length && in[end] >= '0' && in[end] <= '9') {
            end++;
        }
        String number = r.nextInt(4) == 0 ? Long.toString(in.length + r.nextInt(3) - 1L) : NUMBERS[r.nextInt(NUMBERS.length)];
        return splice(in, start, end - start, number.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] duplicateRecord(byte[] in, FuzzLayout layout, SplittableRandom r) {
        long[] rec = record(in, layout, r);
        if (rec == null) {
            return in.clone();
        }
        byte[] copy = Arrays.copyOfRange(in, (int) rec[0], (int) rec[1]);
        int at = r.nextBoolean() ? (int) rec[1] : in.length;
        return splice(in, at, 0, copy);
    }

    private static byte[] removeRecord(byte[] in, FuzzLayout layout, SplittableRandom r) {
        long[] rec = record(in, layout, r);
        return rec == null ? in.clone() : splice(in, (int) rec[0], (int) (rec[1] - rec[0]), new byte[0]);
    }

    private static long[] record(byte[] in, FuzzLayout layout, SplittableRandom r) {
        if (layout.records().isEmpty()) {
            return null;
        }
        long[] rec = layout.records().get(r.nextInt(layout.records().size()));
        long to = Math.min(rec[1], in.length);
        return rec[0] < to ? new long[] {rec[0], to} : null;
    }

    /** {@code in} with {@code length} bytes at {@code at} replaced by {@code with}. */
    public static byte[] splice(byte[] in, int at, int length, byte[] with) {
        byte[] out = new byte[in.length - length + with.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(with, 0, out, at, with.length);
        System.arraycopy(in, at + length, out, at + with.length, in.length - at - length);
        return out;
    }
}
