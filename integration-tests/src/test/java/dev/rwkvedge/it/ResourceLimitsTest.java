package dev.rwkvedge.it;

import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI under resource limits, each in a child JVM started through {@code /bin/sh} so {@code ulimit} can set the
 * limit: a model twice the heap runs (it is mapped, not read); a write that the file system stops midway (file size
 * limit, so the kernel fails {@code write} with EFBIG exactly as a full disk fails it with ENOSPC) ends with one line
 * naming the target, exit code 2, the earlier file unchanged and no temporary file left; a mapping the kernel refuses
 * (address-space limit) ends with one line naming the file and the limit.
 *
 * <p>The models are sparse rwkv.cpp files built from the tiny v4 model, so they cost no time to make.
 */
class ResourceLimitsTest {
    private static final int WIDE_VOCAB = 131_072;

    @TempDir
    Path dir;

    @Test
    void modelLargerThanTheHeapGenerates() throws Exception {
        Path model = widen(Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin"), dir.resolve("wide.bin"));
        assertTrue(Files.size(model) > 2 * (64L << 20), "the model must be much larger than the 64 MiB heap");
        Run r = cli(null, List.of("-Xmx64m"), "generate", model.toString(), "--prompt", "Hello", "--max-tokens", "8",
                "--tokenizer", "byte", "--temperature", "0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(!r.out().isBlank() && r.err().isBlank(), r.toString());
    }

    @Test
    void writeStoppedByTheFileSystemLeavesNoPartialOutput() throws Exception {
        Path source = padded(Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin"), dir.resolve("big.bin"), 60_000_000L);
        Path target = dir.resolve("out.bin");
        byte[] earlier = Files.readAllBytes(Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin"));
        Files.write(target, earlier);
        Run r = cli("ulimit -f 20480", List.of(), "convert", source.toString(), target.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(List.of("rwkv-edge: writing " + target + ": File too large (" + target + " is unchanged)"),
                r.err().lines().toList(), r.toString());
        assertArrayEquals(earlier, Files.readAllBytes(target));
        assertEquals(List.of(), temps(target));
    }

    @Test
    void refusedMappingEndsWithOneLine() throws Exception {
        Path huge = padded(Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin"), dir.resolve("huge.bin"), 1_100_000_000L);
        Run r = cli("ulimit -v 2000000", List.of("-Xmx64m", "-XX:CompressedClassSpaceSize=64m",
                "-XX:ReservedCodeCacheSize=64m"), "inspect", huge.toString());
        Assumptions.assumeFalse(r.err().contains("Could not reserve") || r.err().contains("Error occurred during initialization"),
                "this JVM cannot start under a 2 GB address-space limit: " + r.err());
        assertEquals(2, r.code(), r.toString());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.toString());
        assertTrue(lines.get(0).startsWith("rwkv-edge: " + huge + ": cannot map its " + Files.size(huge)
                + " bytes into memory"), r.toString());
    }

    private record Run(int code, String out, String err) {
    }

    /** Runs the CLI in a child JVM through {@code sh -c}, after {@code limit} (a {@code ulimit} command) if given. */
    private Run cli(String limit, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        Path sh = Path.of("/bin/sh");
        Assumptions.assumeTrue(Files.isExecutable(sh), "needs /bin/sh for ulimit");
        List<String> java = new ArrayList<>(List.of(Classpath.java()));
        java.addAll(jvmOptions);
        java.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.rwkvedge.cli.Main"));
        java.addAll(List.of(args));
        StringBuilder cmd = new StringBuilder(limit == null ? "" : limit + " && ").append("exec");
        for (String a : java) {
            cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(sh.toString(), "-c", cmd.toString()).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "child JVM timed out");
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static List<Path> temps(Path target) throws IOException {
        try (Stream<Path> s = Files.list(target.getParent())) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + target.getFileName() + ".tmp-")).toList();
        }
    }

    /** The tiny model behind a sparse zero F32 tensor {@code padding.unused} of {@code floats} elements. */
    private static Path padded(Path tiny, Path out, long floats) throws IOException {
        byte[] original = Files.readAllBytes(tiny);
        byte[] key = "padding.unused".getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(original, 0, 24));
            ByteBuffer rec = ByteBuffer.allocate(16 + key.length).order(ByteOrder.LITTLE_ENDIAN);
            rec.putInt(1).putInt(key.length).putInt(0).putInt((int) floats).put(key).flip();
            ch.write(rec);
            ch.position(ch.position() + floats * 4);
            ch.write(ByteBuffer.wrap(original, 24, original.length - 24));
        }
        return out;
    }

    /**
     * The tiny FP32 v4 model with a vocabulary of {@value #WIDE_VOCAB}: {@code emb.weight} and {@code head.weight}
     * keep their 256 real rows and gain zero rows (sparse), 64 MiB each, and every one of them is used per token.
     */
    private static Path widen(Path tiny, Path out) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(tiny)).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer header = in.slice(0, 24).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).put(header);
            h.putInt(8, WIDE_VOCAB).flip();
            ch.write(h);
            int pos = 24;
            while (pos < in.limit()) {
                int dims = in.getInt(pos);
                int keyLen = in.getInt(pos + 4);
                long elements = 1;
                for (int d = 0; d < dims; d++) {
                    elements *= in.getInt(pos + 12 + 4 * d);
                }
                String key = new String(in.array(), pos + 12 + 4 * dims, keyLen, StandardCharsets.UTF_8);
                int end = (int) (pos + 12 + 4L * dims + keyLen + 4 * elements);
                ByteBuffer record = ByteBuffer.allocate(end - pos).order(ByteOrder.LITTLE_ENDIAN).put(in.array(), pos, end - pos).flip();
                boolean vocab = key.equals("emb.weight") || key.equals("head.weight");
                if (vocab) {
                    record.putInt(12 + 4, WIDE_VOCAB);
                }
                ch.write(record);
                if (vocab) {
                    long cols = in.getInt(pos + 12);
                    ch.position(ch.position() + 4 * cols * (WIDE_VOCAB - elements / cols));
                }
                pos = end;
            }
            ch.truncate(ch.position());
            if (ch.size() < ch.position()) {
                ch.write(ByteBuffer.allocate(1), ch.position() - 1);
            }
        }
        return out;
    }
}
