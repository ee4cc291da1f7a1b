package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long runs leak nothing. Generation: one session samples {@code rwkv.soak.tokens} tokens from a tiny v7 model
 * (its own output fed back), and the heap used after {@code System.gc()}, sampled ten times along the way, does not
 * grow beyond {@value #HEAP_SLACK} bytes over the first sample. Loading: {@code rwkv.soak.cycles} load/eval/close
 * cycles of a model leave the number of open file descriptors ({@code /proc/self/fd}) and of mappings of the model
 * file ({@code /proc/self/maps}) where they were. Quick by default (2,000 tokens, 100 cycles); the Maven profile
 * {@code soak} runs 100,000 tokens and 1,000 cycles.
 */
class SoakTest {
    /** Room for heap noise after a full GC (class metadata is off-heap; JIT and logging may allocate a little). */
    private static final long HEAP_SLACK = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void longGenerationKeepsTheHeapFlat() throws IOException {
        int tokens = Integer.getInteger("rwkv.soak.tokens", 2000);
        int every = Math.max(1, tokens / 10);
        List<Long> used = new ArrayList<>();
        try (RwkvModel m = Rwkv.load(Fixtures.require("models/tiny/tiny-rwkv-7v0-834K-FP32.bin"),
                LoadOptions.defaults().withBackend("scalar"))) {
            Session s = m.newSession();
            float[] logits = new float[s.vocabSize()];
            SplittableRandom random = new SplittableRandom(1);
            int token = 'T';
            for (int i = 1; i <= tokens; i++) {
                s.eval(token, logits);
                token = sample(logits, random);
                if (i % every == 0) {
                    used.add(usedHeapAfterGc());
                }
            }
        }
        System.out.println("soak: " + tokens + " tokens, used heap after GC every " + every + " tokens: " + used);
        long first = used.get(0);
        for (int i = 1; i < used.size(); i++) {
            assertTrue(used.get(i) <= first + HEAP_SLACK, "heap grew from " + first + " to " + used.get(i)
                    + " bytes after " + (i + 1) * every + " tokens: " + used);
        }
    }

    @Test
    void openCloseCyclesLeakNoDescriptorsOrMappings() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc");
        int cycles = Integer.getInteger("rwkv.soak.cycles", 100);
        Path model = Files.copy(Fixtures.require("models/tiny/tiny-rwkv-5v2-730K-Q5_1.bin"), dir.resolve("soak-model.bin"));
        cycle(model);
        long fds = openDescriptors();
        assertEquals(0, mappingsOf(model));
        int maxMappings = 0;
        for (int i = 0; i < cycles; i++) {
            maxMappings = Math.max(maxMappings, cycle(model));
            assertEquals(0, mappingsOf(model), "cycle " + i + ": the model is still mapped after close");
        }
        long fdsAfter = openDescriptors();
        System.out.println("soak: " + cycles + " open/close cycles, open descriptors " + fds + " -> " + fdsAfter
                + ", model mappings while open " + maxMappings + ", after close 0");
        assertTrue(maxMappings > 0, "the model was never seen mapped; the check would prove nothing");
        assertTrue(fdsAfter <= fds + 2, "descriptors grew from " + fds + " to " + fdsAfter);
    }

    /** Loads, evaluates one token, closes; returns how many mappings of the file existed while it was open. */
    private static int cycle(Path model) throws IOException {
        try (RwkvModel m = Rwkv.load(model, LoadOptions.defaults().withBackend("scalar"))) {
            m.newSession().eval('a');
            return mappingsOf(model);
        }
    }

    private static int sample(float[] logits, SplittableRandom random) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < 256; i++) {
            max = Math.max(max, logits[i]);
        }
        double[] p = new double[256];
        double sum = 0;
        for (int i = 0; i < 256; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < 256; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return 255;
    }

    private static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static int mappingsOf(Path file) throws IOException {
        String name = file.toAbsolutePath().toString();
        return (int) Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(name)).count();
    }
}
