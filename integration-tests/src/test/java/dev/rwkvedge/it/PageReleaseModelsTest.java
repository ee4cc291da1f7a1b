package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.io.PageRelease;
import dev.rwkvedge.tools.ProcessMemory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Releasing the on-demand tensors' pages (predicted-sparse FFN rows, clustered head rows, the embedding table behind
 * the cache) of a container written with every structural compressor: the logits are the bits of a run without
 * release, and the model file's resident pages right after a release are far fewer than without.
 */
class PageReleaseModelsTest {
    private static final int TOKENS = 40;

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void write() throws IOException {
        CompressedModels.write(dir);
        model = dir.resolve("model.rwkv-edge");
    }

    private static LoadOptions options(int every) {
        return LoadOptions.defaults().withBackend("scalar").withThreads(1).withReleasePagesEvery(every);
    }

    private static int token(int i) {
        return (i * 37 + 11) % 512;
    }

    /** Token by token, then a 70-token sequence (three chunks) and an ingest, with and without release. */
    private static float[][] run(int every) throws IOException {
        float[][] out = new float[TOKENS + 2][];
        try (RwkvModel m = Rwkv.load(model, options(every))) {
            assertEquals(every, m.releasePagesEvery());
            Session s = m.newSession();
            for (int i = 0; i < TOKENS; i++) {
                out[i] = s.eval(token(i));
            }
            int[] prompt = new int[70];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = token(i + 100);
            }
            Session p = m.newSession();
            out[TOKENS] = p.evalSequence(prompt);
            p.ingest(prompt);
            out[TOKENS + 1] = p.eval(token(7));
        }
        return out;
    }

    @Test
    void logitsAreBitIdenticalWithReleaseEveryToken() throws IOException {
        float[][] plain = run(0);
        float[][] released = run(1);
        float[][] every8 = run(8);
        for (int i = 0; i < plain.length; i++) {
            assertArrayEquals(plain[i], released[i], 0f, "logits " + i + ", release every token");
            assertArrayEquals(plain[i], every8[i], 0f, "logits " + i + ", release every 8 tokens");
        }
    }

    @Test
    void modelFileRssAfterAReleaseIsFarBelowWithout() throws IOException {
        assumeTrue(PageRelease.available(), "madvise is not available here (not Linux)");
        long without = rssAfterTokens(0);
        long with = rssAfterTokens(1);
        assumeTrue(without > 0, "no /proc/self/smaps here");
        assertTrue(with * 2 <= without, "model file RSS after a release " + with + " bytes, without release "
                + without + " bytes: expected at most half");
    }

    /**
     * Releasing allocates nothing per token (the madvise downcall takes primitives): decoding with release every token
     * allocates no more than without, measured with {@code ThreadMXBean#getThreadAllocatedBytes} as AllocationTest does.
     */
    @Test
    void releaseAllocatesNothingPerToken() throws IOException {
        assumeTrue(PageRelease.available(), "madvise is not available here (not Linux)");
        long plain = bytesPerToken(0);
        long released = bytesPerToken(1);
        assertTrue(released <= plain + 16, "decode allocates " + released + " bytes/token with release every token, "
                + plain + " without");
    }

    private static long bytesPerToken(int every) throws IOException {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (RwkvModel m = Rwkv.load(model, options(every))) {
            Session s = m.newSession();
            float[] logits = new float[s.vocabSize()];
            for (int i = 0; i < 2000; i++) {
                s.eval(token(i), logits);
            }
            int measured = 500;
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < measured; i++) {
                s.eval(token(i), logits);
            }
            return (mx.getCurrentThreadAllocatedBytes() - before) / measured;
        }
    }

    private static long rssAfterTokens(int every) throws IOException {
        try (RwkvModel m = Rwkv.load(model, options(every))) {
            Session s = m.newSession();
            int[] prompt = new int[64];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = token(i);
            }
            s.ingest(prompt);
            float[] logits = new float[s.vocabSize()];
            for (int i = 0; i < TOKENS; i++) {
                s.eval(token(i + 64), logits);
            }
            return ProcessMemory.mappedFileRss(model);
        }
    }
}
