package dev.rwkvedge.pipeline.fuzz;

import dev.rwkvedge.testing.fuzz.FuzzLayout;
import dev.rwkvedge.testing.fuzz.Mutation;
import dev.rwkvedge.testing.fuzz.Mutator;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * YAML-aware edits of a descriptor: a structural token inserted (flow brackets, anchors and aliases, tags, document
 * markers, complex keys, tabs, NUL), a line duplicated or removed, deeply nested flow collections, a block of
 * aliases to one anchor, or a very long scalar.
 */
final class YamlMutation implements Mutation {
    private static final String[] TOKENS = {"[", "]", "{", "}", ":", ": ", "- ", "? ", "&a ", "*a", "*nope", "!!binary ",
        "!!python/object:os.system ", "!<tag:x> ", "%YAML 1.1\n", "---\n", "\n...\n", "\t", "\u0000", "'", "\"", "#",
        "|\n", ">-\n", "<<: *a\n", "\ufeff", "\\u00", "~", "null", ".inf", "-.nan", "0x7fffffff", "1e999",
        "99999999999999999999999", "-9223372036854775809", "\r", "\n  ", "&a [1, 2]"};

    @Override
    public String name() {
        return "yaml";
    }

    @Override
    public byte[] apply(byte[] input, FuzzLayout layout, SplittableRandom r) {
        String text = new String(input, StandardCharsets.UTF_8);
        int at = lineStartOrAnywhere(text, r);
        String edited = switch (r.nextInt(7)) {
            case 0, 1 -> text.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + text.substring(at);
            case 2 -> duplicateLine(text, at, r.nextBoolean());
            case 3 -> {
                int depth = 1 + r.nextInt(3000);
                yield text.substring(0, at) + "x: " + "[".repeat(depth) + "]".repeat(r.nextInt(depth + 1)) + "\n"
                        + text.substring(at);
            }
            case 4 -> {
                StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x]\n");
                String prev = "a";
                for (int level = 0; level < 9; level++) {
                    String name = "l" + level;
                    bomb.append(name).append(": &").append(name).append(" [").append(("*" + prev + ", ").repeat(9))
                            .append('*').append(prev).append("]\n");
                    prev = name;
                }
                yield bomb + text;
            }
            case 5 -> text.substring(0, at) + "k: " + "x".repeat(1 + r.nextInt(200_000)) + "\n" + text.substring(at);
            default -> text.substring(0, at) + "n: " + Mutator.interesting(0, input.length, r) + "\n" + text.substring(at);
        };
        return edited.getBytes(StandardCharsets.UTF_8);
    }

    private static int lineStartOrAnywhere(String text, SplittableRandom r) {
        if (text.isEmpty()) {
            return 0;
        }
        int at = r.nextInt(text.length());
        if (r.nextBoolean()) {
            int nl = text.lastIndexOf('\n', at);
            at = nl < 0 ? 0 : nl + 1;
        }
        return at;
    }

    private static String duplicateLine(String text, int at, boolean remove) {
        int end = text.indexOf('\n', at);
        end = end < 0 ? text.length() : end + 1;
        String line = text.substring(at, end);
        return remove ? text.substring(0, at) + text.substring(end) : text.substring(0, end) + line + text.substring(end);
    }
}
