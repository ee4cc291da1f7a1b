package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutation;
import dev.rwkvedge.testing.fuzz.Mutator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Edits the JSON header of a safetensors file and then rewrites the u64 header length to match, so the edit gets
 * past the length check and reaches the header's validation: a tensor entry removed or duplicated (under the same
 * or a new name), a number in shape or data_offsets replaced by a boundary value, a dtype replaced, or a shape
 * given an extra or one fewer dimension.
 */
final class SafetensorsHeaderMutation implements Mutation {
    private static final Pattern ENTRY = Pattern.compile("\"[^\"]*\":\\{[^{}]*\\}");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final Pattern DTYPE = Pattern.compile("\"dtype\":\"[^\"]*\"");
    private static final Pattern SHAPE = Pattern.compile("\"shape\":\\[[^\\]]*\\]");
    private static final String[] DTYPES = {"F32", "F16", "BF16", "I8", "I32", "U8", "F64", "I64", "BOOL", "Q8_0",
        "Q5_1", "Q4_0", "F8_E4M3", "", "f32"};

    @Override
    public String name() {
        return "safetensors-header";
    }

    @Override
    public byte[] apply(byte[] input, FuzzLayout layout, SplittableRandom r) {
        if (input.length < 8) {
            return input.clone();
        }
        long n = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 2 || n > input.length - 8) {
            return input.clone();
        }
        String header = new String(input, 8, (int) n, StandardCharsets.UTF_8).stripTrailing();
        List<int[]> entries = matches(ENTRY, header);
        if (entries.isEmpty()) {
            return input.clone();
        }
        int[] e = entries.get(r.nextInt(entries.size()));
        String entry = header.substring(e[0], e[1]);
        String edited = switch (r.nextInt(5)) {
            case 0 -> "";
            case 1 -> entry + "," + (r.nextBoolean() ? entry : entry.replaceFirst("^\"", "\"dup."));
            case 2 -> replaceOne(entry, NUMBER, m -> Long.toString(Mutator.interesting(Long.parseLong(
                    m.length() > 18 ? "0" : m), input.length, r)).replace("-", r.nextBoolean() ? "-" : ""), r);
            case 3 -> replaceOne(entry, DTYPE, m -> "\"dtype\":\"" + DTYPES[r.nextInt(DTYPES.length)] + "\"", r);
            default -> replaceOne(entry, SHAPE, m -> r.nextBoolean()
                    ? m.replace("[", "[1,")
                    : m.replaceFirst("\\[\\d+,?", "["), r);
        };
        String text = header.substring(0, e[0]) + edited + header.substring(e[1]);
        text = text.replace(",,", ",").replace("{,", "{").replace(",}", "}");
        byte[] h = text.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] out = new byte[8 + padded + (input.length - 8 - (int) n)];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
        System.arraycopy(h, 0, out, 8, h.length);
        java.util.Arrays.fill(out, 8 + h.length, 8 + padded, (byte) ' ');
        System.arraycopy(input, 8 + (int) n, out, 8 + padded, input.length - 8 - (int) n);
        return out;
    }

    private static List<int[]> matches(Pattern p, String s) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(new int[] {m.start(), m.end()});
        }
        return out;
    }

    private static String replaceOne(String s, Pattern p, java.util.function.UnaryOperator<String> f, SplittableRandom r) {
        List<int[]> all = matches(p, s);
        if (all.isEmpty()) {
            return s;
        }
        int[] m = all.get(r.nextInt(all.size()));
        return s.substring(0, m[0]) + f.apply(s.substring(m[0], m[1])) + s.substring(m[1]);
    }
}
