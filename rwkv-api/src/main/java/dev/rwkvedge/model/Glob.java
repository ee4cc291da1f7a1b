package dev.rwkvedge.model;

import java.util.regex.Pattern;

/**
 * A glob over canonical tensor names, whose segments are separated by dots: {@code *} matches within one segment
 * (so {@code blocks.*.att.key.weight} means every layer), {@code **} matches across segments, {@code ?} one
 * character, and {@code {a,b}} either alternative ({@code blocks.*.att.{key,value}.weight}). Shared by the
 * compressors' {@code targets}/{@code exclude} parameters.
 */
public record Glob(String text, Pattern pattern) {
    /**
     * @throws IllegalArgumentException if the braces are unbalanced
     */
    public static Glob of(String text) {
        return new Glob(text, Pattern.compile(toRegex(text)));
    }

    public boolean matches(String name) {
        return pattern.matcher(name).matches();
    }

    private static String toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < glob.length(); i++) {
            char ch = glob.charAt(i);
            switch (ch) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        re.append(".*");
                        i++;
                    } else {
                        re.append("[^.]*");
                    }
                }
                case '?' -> re.append("[^.]");
                case '{' -> {
                    re.append("(?:");
                    depth++;
                }
                case '}' -> {
                    if (depth == 0) {
                        throw new IllegalArgumentException("unbalanced '}' in glob '" + glob + "'");
                    }
                    re.append(')');
                    depth--;
                }
                case ',' -> re.append(depth > 0 ? "|" : ",");
                default -> re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        if (depth != 0) {
            throw new IllegalArgumentException("unbalanced '{' in glob '" + glob + "'");
        }
        return re.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
