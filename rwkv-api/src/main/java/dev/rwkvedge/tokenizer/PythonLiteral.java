package dev.rwkvedge.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads one Python string or bytes literal ({@code 'abc'}, {@code "it's"}, {@code b'\xe4\xbd'}) into bytes, the way
 * ChatRWKV's {@code TRIE_TOKENIZER} (rwkv_tokenizer.py) reads {@code rwkv_vocab_v20230424.txt}: it {@code eval}s the
 * literal and encodes a {@code str} to UTF-8. Only single-line, non-raw literals are accepted, which is all the
 * vocabulary file uses; escapes follow the Python reference ("String and Bytes literals"):
 * {@code \\ \' \" \a \b \f \n \r \t \v \ooo \xhh}, plus <code>&#92;uXXXX &#92;UXXXXXXXX &#92;N{name}</code> in
 * {@code str} only; an unknown escape such as {@code \$} keeps its backslash, as Python does.
 */
final class PythonLiteral {
    private PythonLiteral() {
    }

    /**
     * @throws IllegalArgumentException describing the problem (the caller adds file and line)
     */
    static byte[] parse(String literal) {
        String s = literal.strip();
        boolean bytes = false;
        int pos = 0;
        if (!s.isEmpty() && (s.charAt(0) == 'b' || s.charAt(0) == 'B')) {
            bytes = true;
            pos = 1;
        }
        if (pos >= s.length() || (s.charAt(pos) != '\'' && s.charAt(pos) != '"')) {
            throw new IllegalArgumentException("not a Python string or bytes literal: " + s);
        }
        char quote = s.charAt(pos);
        if (s.length() - pos < 2 || s.charAt(s.length() - 1) != quote) {
            throw new IllegalArgumentException("unterminated literal: " + s);
        }
        if (s.startsWith(String.valueOf(quote).repeat(3), pos) && s.length() - pos > 2) {
            throw new IllegalArgumentException("triple-quoted literals are not supported: " + s);
        }
        String body = s.substring(pos + 1, s.length() - 1);
        return bytes ? bytesBody(body, quote) : strBody(body, quote);
    }

    private static byte[] strBody(String body, char quote) {
        StringBuilder sb = new StringBuilder(body.length());
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c == quote) {
                throw new IllegalArgumentException("unescaped " + quote + " inside the literal");
            }
            if (c != '\\') {
                sb.append(c);
                i++;
                continue;
            }
            if (i + 1 >= body.length()) {
                throw new IllegalArgumentException("literal ends with a lone backslash");
            }
            char e = body.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'x' -> {
                    sb.append((char) hex(body, i, 2));
                    i += 2;
                }
                case 'u' -> {
                    sb.appendCodePoint(codePoint(hex(body, i, 4)));
                    i += 4;
                }
                case 'U' -> {
                    sb.appendCodePoint(codePoint(hex(body, i, 8)));
                    i += 8;
                }
                case 'N' -> {
                    int close = body.indexOf('}', i);
                    if (i >= body.length() || body.charAt(i) != '{' || close < 0) {
                        throw new IllegalArgumentException("malformed \\N{...} escape");
                    }
                    String name = body.substring(i + 1, close);
                    int cp;
                    try {
                        cp = Character.codePointOf(name);
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException("unknown character name \\N{" + name + "}");
                    }
                    sb.appendCodePoint(codePoint(cp));
                    i = close + 1;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int[] r = octal(body, i - 1);
                        sb.append((char) r[0]);
                        i = r[1];
                    } else {
                        int simple = simpleEscape(e);
                        if (simple >= 0) {
                            sb.append((char) simple);
                        } else {
                            sb.append('\\').append(e);
                        }
                    }
                }
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytesBody(String body, char quote) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length());
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            if (c > 0x7F) {
                throw new IllegalArgumentException("bytes literal contains the non-ASCII character U+"
                        + String.format("%04X", (int) c));
            }
            if (c == quote) {
                throw new IllegalArgumentException("unescaped " + quote + " inside the literal");
            }
            if (c != '\\') {
                out.write(c);
                i++;
                continue;
            }
            if (i + 1 >= body.length()) {
                throw new IllegalArgumentException("literal ends with a lone backslash");
            }
            char e = body.charAt(i + 1);
            i += 2;
            if (e == 'x') {
                out.write(hex(body, i, 2));
                i += 2;
            } else if (e >= '0' && e <= '7') {
                int[] r = octal(body, i - 1);
                if (r[0] > 0xFF) {
                    throw new IllegalArgumentException("octal escape above \\377 in a bytes literal");
                }
                out.write(r[0]);
                i = r[1];
            } else {
                int simple = simpleEscape(e);
                if (simple >= 0) {
                    out.write(simple);
                } else {
                    if (e > 0x7F) {
                        throw new IllegalArgumentException("bytes literal contains a non-ASCII character");
                    }
                    out.write('\\');
                    out.write(e);
                }
            }
        }
        return out.toByteArray();
    }

    private static int simpleEscape(char e) {
        return switch (e) {
            case '\\' -> '\\';
            case '\'' -> '\'';
            case '"' -> '"';
            case 'a' -> 0x07;
            case 'b' -> 0x08;
            case 'f' -> 0x0C;
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'v' -> 0x0B;
            default -> -1;
        };
    }

    /** Up to three octal digits starting at {@code start}; returns {value, index after them}. */
    private static int[] octal(String body, int start) {
        int v = 0;
        int i = start;
        while (i < body.length() && i < start + 3 && body.charAt(i) >= '0' && body.charAt(i) <= '7') {
            v = v * 8 + (body.charAt(i) - '0');
            i++;
        }
        return new int[] {v, i};
    }

    private static int hex(String body, int start, int digits) {
        if (start + digits > body.length()) {
            throw new IllegalArgumentException("truncated escape: needs " + digits + " hex digits");
        }
        int v = 0;
        for (int i = start; i < start + digits; i++) {
            int d = Character.digit(body.charAt(i), 16);
            if (d < 0) {
                throw new IllegalArgumentException("bad hex digit '" + body.charAt(i) + "' in an escape");
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** Python cannot encode lone surrogates to UTF-8, so neither do we. */
    private static int codePoint(int cp) {
        if (cp > Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("escape above U+10FFFF");
        }
        if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
            throw new IllegalArgumentException("escape names the surrogate U+" + String.format("%04X", cp)
                    + ", which has no UTF-8 encoding");
        }
        return cp;
    }
}
