package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.testing.RwkvCppReference;
import dev.rwkvedge.testing.RwkvCppReference.Model;
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

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Offsets beyond 2 GiB: a sparse rwkv.cpp file whose first tensor is a 2.4 GB padding vector, followed by the real
 * tiny model's tensors, reproduces the tiny model's reference logits. The model's tensors all sit past 2^31.
 */
class LargeFileTest {
    @TempDir
    Path dir;

    @Test
    void tensorsBeyondTwoGibibytes() throws IOException {
        Model ref = RwkvCppReference.load().stream()
                .filter(m -> m.modelFile().equals("tiny-rwkv-7v0-834K-FP32.bin")).findFirst().orElseThrow();
        byte[] original = Files.readAllBytes(ref.modelPath());
        Path big = dir.resolve("big.bin");
        long padElements = 600_000_000L;
        byte[] key = "padding.unused".getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(original, 0, 24));
            ByteBuffer rec = ByteBuffer.allocate(16 + key.length).order(ByteOrder.LITTLE_ENDIAN);
            rec.putInt(1).putInt(key.length).putInt(0).putInt((int) padElements).put(key).flip();
            ch.write(rec);
            ch.position(ch.position() + padElements * 4);
            ch.write(ByteBuffer.wrap(original, 24, original.length - 24));
        }
        assertTrue(Files.size(big) > (1L << 31) + 1);
        try (RwkvModel m = Rwkv.load(big, LoadOptions.defaults().withBackend("scalar"))) {
            Session s = m.newSession();
            var prompt = ref.prompts().get(0);
            for (int t = 0; t < prompt.tokens().length; t++) {
                double d = ReferenceAssert.maxAbsDiff(prompt.logits()[t], s.eval(prompt.tokens()[t]));
                assertTrue(d < 1e-4, "step " + t + ": max |Δ| " + d);
            }
        }
    }
}
