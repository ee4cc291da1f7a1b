package dev.rwkvedge.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Expected bytes are what CPython 3 gives for {@code eval(literal)} (encoded to UTF-8 for str). */
class PythonLiteralTest {
    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    @Test
    void strLiterals() {
        assertArrayEquals(b('a', 'b'), PythonLiteral.parse("'ab'"));
        assertArrayEquals(b(), PythonLiteral.parse("''"));
        assertArrayEquals(b('\''), PythonLiteral.parse("\"'\""));
        assertArrayEquals(b('\''), PythonLiteral.parse("'\\''"));
        assertArrayEquals(b('"'), PythonLiteral.parse("'\\\"'"));
        assertArrayEquals(b('\\'), PythonLiteral.parse("'\\\\'"));
        assertArrayEquals(b('\n', '\t', '\r', 0x0B, 0x0C, 0x07, 0x08), PythonLiteral.parse("'\\n\\t\\r\\v\\f\\a\\b'"));
        assertArrayEquals(b(0), PythonLiteral.parse("'\\x00'"));
        // '\x80' in a str is U+0080, two bytes in UTF-8.
        assertArrayEquals(b(0xC2, 0x80), PythonLiteral.parse("'\\x80'"));
        assertArrayEquals(b(0xE2, 0x80, 0x82), PythonLiteral.parse("'\\u2002'"));
        assertArrayEquals(b(0xF0, 0x9F, 0x99, 0x82), PythonLiteral.parse("'\\U0001f642'"));
        assertArrayEquals(b(0xC3, 0xA9), PythonLiteral.parse("'\\N{LATIN SMALL LETTER E WITH ACUTE}'"));
        assertArrayEquals(b(0xE4, 0xB8, 0xAD), PythonLiteral.parse("'中'"));
        assertArrayEquals(b(1, 'A'), PythonLiteral.parse("'\\1\\101'"));
        // Unknown escapes keep the backslash.
        assertArrayEquals(b('\\', '$'), PythonLiteral.parse("'\\$'"));
        // Leading/trailing blanks from the vocabulary line split are ignored.
        assertArrayEquals(b(' ', 'x'), PythonLiteral.parse(" ' x' "));
    }

    @Test
    void bytesLiterals() {
        assertArrayEquals(b(0x80), PythonLiteral.parse("b'\\x80'"));
        assertArrayEquals(b(0xE4, 0xBD, 'a'), PythonLiteral.parse("b'\\xe4\\xbda'"));
        assertArrayEquals(b('\\', 'u', '0', '0', '4', '1'), PythonLiteral.parse("b'\\u0041'"));
        assertArrayEquals(b('\''), PythonLiteral.parse("b\"'\""));
        assertArrayEquals(b(0xFF), PythonLiteral.parse("b'\\377'"));
    }

    @Test
    void rejectsMalformedLiterals() {
        for (String bad : new String[] {"abc", "'abc", "'a'b'", "b'é'", "'\\x4'", "'\\xzz'", "'\\ud800'",
                "b'\\777'", "'\\'", "r'x'"}) {
            assertThrows(IllegalArgumentException.class, () -> PythonLiteral.parse(bad), bad);
        }
    }
}
