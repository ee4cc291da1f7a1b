package dev.rwkvedge.format.fuzz;

import dev.rwkvedge.format.safetensors.SafetensorsFormatProvider;
import dev.rwkvedge.testing.Fixtures;
import dev.rwkvedge.testing.fuzz.FuzzHarness;
import dev.rwkvedge.testing.fuzz.Mutator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression tests for the weight-reader failures the fuzzers found, each from its failing input (built directly,
 * or replayed from the run seed and iteration that found it), checked against the full fuzz contract.
 */
class FuzzFindingsTest {
    @TempDir
    Path dir;

    /**
     * Safetensors, header length edited to reach into the tensor data (seed 20261129, iterations 78, 117, …): the
     * reader copied the "header" three to four times (bytes, chars, string) before finding it was not UTF-8 JSON,
     * 4 MB of heap for a 1.3 MB file. Now the header is scanned in place and the control bytes of binary data reject
     * it before any copy.
     */
    @Test
    void headerLengthReachingIntoTensorDataIsRejectedBeforeCopying() throws Exception {
        byte[] file = Files.readAllBytes(Fixtures.require("models/safetensors/tiny-rwkv-4v0-bf16.safetensors"));
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, file.length - 8);
        try (FuzzHarness h = WeightFuzz.harness(new SafetensorsFormatProvider(), dir, ".safetensors")) {
            h.warmUp(file);
            String outcome = h.check(file);
            assertNotNull(outcome, "must not open");
            assertTrue(outcome.startsWith("rejected: ") && outcome.contains("control byte"), outcome);
        }
    }

    /**
     * Safetensors, a tensor renamed to {@code blocks.2428033640029963266.…} by a header edit (seed 20261129,
     * iteration 184): the BlinkDL layout parsed the layer number with {@code Integer.parseInt} and leaked a
     * {@code NumberFormatException}. Now it is a {@code WeightFormatException} naming the tensor.
     */
    @Test
    void layerNumberBeyondIntIsAFormatError() throws Exception {
        byte[] seed = Files.readAllBytes(Fixtures.require("models/safetensors/tiny-rwkv-4v0-bf16.safetensors"));
        byte[] input = new Mutator(new SafetensorsHeaderMutation())
                .mutate(seed, FormatLayouts.safetensors(seed), 20_261_129L, 184).bytes();
        try (FuzzHarness h = WeightFuzz.harness(new SafetensorsFormatProvider(), dir, ".safetensors")) {
            h.warmUp(input);
            String outcome = h.check(input);
            assertNotNull(outcome, "must not open");
            assertTrue(outcome.startsWith("rejected: ") && outcome.contains("layer number"), outcome);
        }
    }

    /**
     * rwkv.cpp, directed follow-up of the fuzz contract (a shape the mutators cannot reach in one step): an empty
     * {@code emb.weight} of shape (0, 3,000,000,000) with a matching header holds no bytes, so every size check
     * passes, and {@code ModelConfig.of} (run by {@code Rwkv.load}) leaked an {@code ArithmeticException} from
     * {@code Math.toIntExact}. Now dimensions beyond {@code int} are a {@code WeightFormatException}.
     */
    @Test
    void dimensionBeyondIntIsAFormatError() throws Exception {
        ByteBuffer tiny = ByteBuffer.wrap(Files.readAllBytes(Fixtures.require("models/tiny/tiny-rwkv-4v0-660K-FP32.bin")))
                .order(ByteOrder.LITTLE_ENDIAN);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int nEmbd = (int) 3_000_000_000L;
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).put(tiny.array(), 0, 24);
        header.putInt(8, 0).putInt(12, nEmbd);
        out.write(header.array());
        int pos = 24;
        while (pos < tiny.limit()) {
            int dims = tiny.getInt(pos);
            int keyLen = tiny.getInt(pos + 4);
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                elements *= tiny.getInt(pos + 12 + 4 * d);
            }
            int headerEnd = pos + 12 + 4 * dims + keyLen;
            int end = (int) (headerEnd + 4 * elements);
            if (new String(tiny.array(), pos + 12 + 4 * dims, keyLen, java.nio.charset.StandardCharsets.UTF_8).equals("emb.weight")) {
                ByteBuffer rec = ByteBuffer.allocate(headerEnd - pos).order(ByteOrder.LITTLE_ENDIAN)
                        .put(tiny.array(), pos, headerEnd - pos);
                rec.putInt(12, nEmbd).putInt(16, 0);
                out.write(rec.array());
            } else {
                out.write(tiny.array(), pos, end - pos);
            }
            pos = end;
        }
        try (FuzzHarness h = WeightFuzz.harness(new dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider(), dir, ".bin")) {
            h.warmUp(out.toByteArray());
            String outcome = h.check(out.toByteArray());
            assertNotNull(outcome, "must not open");
            assertTrue(outcome.startsWith("rejected: "), outcome);
        }
    }
}
