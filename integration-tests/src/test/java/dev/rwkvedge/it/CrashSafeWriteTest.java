package dev.rwkvedge.it;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI never leaves a partial model under the target name: {@code rwkv-edge convert} of a 231 MiB model runs in a
 * child JVM over an existing target and is killed with SIGKILL ({@code destroyForcibly}) at fixed times and at
 * moments chosen by watching the temporary file (as soon as it appears, after 64 MiB, after 160 MiB). After every
 * kill the target holds exactly its earlier bytes (same SHA-256), or, when the kill came after the atomic rename
 * (during the folder fsync or the JVM's exit), exactly the complete new model. Killed writers leave {@code .model.bin.tmp-*}
 * files behind (nothing can run on SIGKILL); the next complete write succeeds and removes them. On a machine fast
 * enough to finish a write before a fixed-time kill, that run instead proves the target is then the complete model.
 *
 * <p>The source is a sparse rwkv.cpp file (a 240 MB zero padding tensor followed by the tiny v4 model), so making
 * it costs no time, while the writer really writes and fsyncs 231 MiB.
 */
class CrashSafeWriteTest {
    private static final long PADDING_FLOATS = 60_000_000L;

    @TempDir
    Path dir;

    /** When to kill: a predicate over (milliseconds since start, bytes of the temporary file or −1 if absent). */
    private record Trigger(String name, long afterMillis, LongPredicate tempBytes) {
    }

    @Test
    void killedWritesLeaveTheEarlierFileIntactAndTheNextWriteWorks() throws Exception {
        Path tiny = Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin");
        Path source = bigModel(tiny);
        Path target = dir.resolve("model.bin");
        Files.copy(tiny, target);
        String before = sha256(target);
        List<Trigger> triggers = List.of(
                new Trigger("after 200 ms", 200, b -> true),
                new Trigger("after 500 ms", 500, b -> true),
                new Trigger("after 1 s", 1000, b -> true),
                new Trigger("temp file appears", 0, b -> b >= 0),
                new Trigger("temp file ≥ 64 MiB", 0, b -> b >= 64L << 20),
                new Trigger("temp file ≥ 160 MiB", 0, b -> b >= 160L << 20));
        for (Trigger t : triggers) {
            Set<Path> leftovers = Set.copyOf(temps(target));
            Process p = convert(source, target);
            long start = System.nanoTime();
            long tempSize = -1;
            while (p.isAlive()) {
                tempSize = tempBytes(target, leftovers);
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (ms >= t.afterMillis() && t.tempBytes().test(tempSize)) {
                    break;
                }
                Thread.sleep(2);
            }
            long killedAt = (System.nanoTime() - start) / 1_000_000;
            p.destroyForcibly().waitFor();
            if (p.exitValue() == 0) {
                assertComplete(target);
                System.out.printf("crash-safe: %s: the write completed before the kill; the target is complete%n", t.name());
                Files.copy(tiny, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            if (!before.equals(sha256(target))) {
                // Killed after the atomic rename (during the folder fsync, the cleanup or the JVM's exit): the target
                // must then be the whole new model, never a part of it.
                assertEquals(Files.size(source), Files.size(target), t.name() + ": the target changed but is not the "
                        + "complete new model; " + output(p));
                assertComplete(target);
                System.out.printf("crash-safe: killed %s at %d ms, after the rename; the target is complete%n",
                        t.name(), killedAt);
                Files.copy(tiny, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            System.out.printf("crash-safe: killed %s at %d ms, temp file %d bytes; target intact, %d leftover temp files%n",
                    t.name(), killedAt, tempSize, temps(target).size());
        }
        Process p = convert(source, target);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output(p));
        assertEquals(Files.size(source), Files.size(target));
        assertComplete(target);
        assertEquals(List.of(), temps(target), "the complete write removes the leftovers of killed ones");
    }

    /** The target holds the whole converted model: it opens and its last tensors are there. */
    private static void assertComplete(Path target) throws IOException {
        try (ModelWeights w = WeightFormats.open(target)) {
            assertTrue(w.contains("padding.unused") && w.contains("head.weight"), target + " is incomplete");
        }
    }

    private Path bigModel(Path tiny) throws IOException {
        byte[] original = Files.readAllBytes(tiny);
        Path big = dir.resolve("big.bin");
        byte[] key = "padding.unused".getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(original, 0, 24));
            ByteBuffer rec = ByteBuffer.allocate(16 + key.length).order(ByteOrder.LITTLE_ENDIAN);
            rec.putInt(1).putInt(key.length).putInt(0).putInt((int) PADDING_FLOATS).put(key).flip();
            ch.write(rec);
            ch.position(ch.position() + PADDING_FLOATS * 4);
            ch.write(ByteBuffer.wrap(original, 24, original.length - 24));
        }
        return big;
    }

    private Process convert(Path source, Path target) throws IOException {
        return new ProcessBuilder(Classpath.java(), "-cp", System.getProperty("java.class.path"),
                "dev.rwkvedge.cli.Main", "convert", source.toString(), target.toString())
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .start();
    }

    private String output(Process p) throws IOException {
        return "exit " + (p.isAlive() ? "-" : p.exitValue()) + ", out: " + Files.readString(dir.resolve("out.txt"))
                + ", err: " + Files.readString(dir.resolve("err.txt"));
    }

    private static List<Path> temps(Path target) throws IOException {
        String prefix = "." + target.getFileName() + ".tmp-";
        try (Stream<Path> s = Files.list(target.getParent())) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    /**
     * Size of the running write's temporary file of {@code target}, or −1 if it does not exist yet; {@code leftovers}
     * are the temporary files of earlier killed writes, present before this write started.
     */
    private static long tempBytes(Path target, Set<Path> leftovers) throws IOException {
        for (Path p : temps(target)) {
            if (!leftovers.contains(p)) {
                try {
                    return Files.size(p);
                } catch (IOException gone) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
