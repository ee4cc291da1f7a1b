package dev.rwkvedge.cli;

import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken model files end with exit code 2 and one line on stderr that names the file and the problem, with no
 * stack trace unless {@code --verbose}.
 */
class BadInputTest {
    static byte[] good;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadGood() throws IOException {
        good = Files.readAllBytes(Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin"));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Asserts exit 2 and a single stderr line containing the file name and every fragment. */
    private static void assertOneLineError(CliRunner r, Path file, String... fragments) {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        String[] lines = r.err().strip().split("\\R");
        assertEquals(1, lines.length, "one line expected, got:\n" + r.err());
        assertTrue(lines[0].contains(file.toString()), "message should name the file: " + lines[0]);
        for (String f : fragments) {
            assertTrue(lines[0].contains(f), "message should mention '" + f + "': " + lines[0]);
        }
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    /** Offset of the first tensor record's data-type field (header 24 bytes + dim_count + key_length). */
    private static final int FIRST_TYPE = 24 + 8;

    @Test
    void nonModelFile() throws IOException {
        Path p = write("notes.txt", "just some text, not a model\n".getBytes(StandardCharsets.UTF_8));
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "not a model file");
    }

    @Test
    void truncatedFile() throws IOException {
        Path p = write("truncated.bin", Arrays.copyOf(good, good.length / 2));
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "truncated");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path p = write("short.bin", Arrays.copyOf(good, 16));
        assertOneLineError(CliRunner.run("logits", p.toString(), "--format", "rwkv-cpp", "--tokens", "1",
                "--out", dir.resolve("x.f32").toString()), p, "header");
        assertFalse(Files.exists(dir.resolve("x.f32")), "no output for a failed run");
    }

    @Test
    void wrongMagicWithExplicitFormat() throws IOException {
        byte[] b = good.clone();
        b[0] = 'X';
        Path p = write("magic.bin", b);
        assertOneLineError(CliRunner.run("inspect", "--format", "rwkv-cpp", p.toString()), p, "wrong magic");
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "not a model file");
    }

    @Test
    void unknownDataTypeCode() throws IOException {
        byte[] b = good.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(FIRST_TYPE, 42);
        Path p = write("dtype.bin", b);
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "unknown data type code 42");
    }

    @Test
    void tensorRunsPastEndOfFile() throws IOException {
        byte[] b = good.clone();
        // First record's ne[0] (after dim_count, key_length, data_type) claims a huge row.
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(FIRST_TYPE + 4, 0x7fffffff);
        Path p = write("past-eof.bin", b);
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "past the end of the file");
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("nope.bin");
        assertOneLineError(CliRunner.run("inspect", p.toString()), p, "no such file");
    }

    @Test
    void verboseAddsStackTrace() throws IOException {
        Path p = write("notes2.txt", "hello".getBytes(StandardCharsets.UTF_8));
        CliRunner r = CliRunner.run("inspect", "--verbose", p.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), "stack trace with --verbose");
    }

    @Test
    void unknownBackendListsAvailable() throws IOException {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin");
        CliRunner r = CliRunner.run("logits", model.toString(), "--backend", "warp-drive", "--tokens", "1",
                "--out", dir.resolve("o.f32").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unknown backend 'warp-drive'"), r.err());
        assertTrue(r.err().contains("available: ") && r.err().contains("scalar"), r.err());
    }

    @Test
    void tokenOutsideVocabulary() throws IOException {
        Path model = Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-FP32.bin");
        CliRunner r = CliRunner.run("logits", model.toString(), "--tokens", "1,999", "--out", dir.resolve("o.f32").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("999"), r.err());
    }
}
