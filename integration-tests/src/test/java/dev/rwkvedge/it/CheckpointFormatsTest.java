package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.cli.Main;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BlinkDL {@code .pth} and safetensors checkpoints (fp32 and bf16) and the Hugging Face v4 checkpoint give the logits
 * of the matching rwkv.cpp FP32 model; and {@code convert} chains keep them.
 *
 * <p>bf16 bound: bf16 keeps 8 significant bits, so every weight carries a relative error up to 2⁻⁹ (round to
 * nearest), and the decay transforms (−exp, exp(−exp)) amplify it by |d| (FIXTURES.md). For the 6v0/7v0 fixtures
 * the fp32 source values were already bf16 (lossless: bound 1e-5 as for fp32). For 4v0/5v1/5v2 the 0.2% perturbation
 * of every weight, accumulated over 4-12 layers and 64 steps of recurrence, measured max |Δlogit| 0.047 (4v0),
 * 0.087 (5v1), 0.072 (5v2); the bound 0.25 is about 3× that, while a wrong transform or transposition moves the
 * logits by whole units.
 */
class CheckpointFormatsTest {
    private static final byte[] PROMPT = "The quick brown fox jumps over the lazy dog. It was a sunny day."
            .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    static float[][] logits(Path model) throws IOException {
        try (RwkvModel m = Rwkv.load(model, LoadOptions.defaults().withBackend("scalar"))) {
            Session s = m.newSession();
            float[][] out = new float[PROMPT.length][];
            for (int i = 0; i < PROMPT.length; i++) {
                out[i] = s.eval(PROMPT[i] & 0xFF);
            }
            return out;
        }
    }

    static double maxDiff(float[][] a, float[][] b) {
        double m = 0;
        for (int t = 0; t < a.length; t++) {
            m = Math.max(m, ReferenceAssert.maxAbsDiff(a[t], b[t]));
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "pth/tiny-rwkv-4v0-fp32.pth, tiny-rwkv-4v0-660K-FP32.bin, 1e-5",
            "pth/tiny-rwkv-5v1-fp32.pth, tiny-rwkv-5v1-730K-FP32.bin, 1e-5",
            "pth/tiny-rwkv-5v2-fp32.pth, tiny-rwkv-5v2-730K-FP32.bin, 1e-5",
            "pth/tiny-rwkv-6v0-fp32.pth, tiny-rwkv-6v0-1m-FP32.bin, 1e-5",
            "pth/tiny-rwkv-7v0-fp32.pth, tiny-rwkv-7v0-834K-FP32.bin, 1e-5",
            "pth/tiny-rwkv-4v0-bf16.pth, tiny-rwkv-4v0-660K-FP32.bin, 0.25",
            "pth/tiny-rwkv-5v1-bf16.pth, tiny-rwkv-5v1-730K-FP32.bin, 0.25",
            "pth/tiny-rwkv-5v2-bf16.pth, tiny-rwkv-5v2-730K-FP32.bin, 0.25",
            "pth/tiny-rwkv-6v0-bf16.pth, tiny-rwkv-6v0-1m-FP32.bin, 1e-5",
            "pth/tiny-rwkv-7v0-bf16.pth, tiny-rwkv-7v0-834K-FP32.bin, 1e-5",
            "safetensors/tiny-rwkv-7v0-fp32.safetensors, tiny-rwkv-7v0-834K-FP32.bin, 1e-5",
            "safetensors/tiny-rwkv-4v0-bf16.safetensors, tiny-rwkv-4v0-660K-FP32.bin, 0.25",
            "safetensors/tiny-rwkv-5v1-bf16.safetensors, tiny-rwkv-5v1-730K-FP32.bin, 0.25",
            "safetensors/tiny-rwkv-5v2-bf16.safetensors, tiny-rwkv-5v2-730K-FP32.bin, 0.25",
            "safetensors/tiny-rwkv-6v0-bf16.safetensors, tiny-rwkv-6v0-1m-FP32.bin, 1e-5",
            "safetensors/tiny-rwkv-7v0-bf16.safetensors, tiny-rwkv-7v0-834K-FP32.bin, 1e-5",
            "hf-tiny-rwkv-4v0/model.safetensors, tiny-rwkv-4v0-660K-FP32.bin, 1e-5"})
    void checkpointGivesLogitsOfFp32Bin(String checkpoint, String bin, double tol) throws IOException {
        float[][] expected = logits(Fixtures.require("models/tiny/" + bin));
        float[][] got = logits(Fixtures.require("models/" + checkpoint));
        double d = maxDiff(expected, got);
        System.out.printf("%s vs %s: max |Δlogit| %.3g%n", checkpoint, bin, d);
        assertTrue(d <= tol, checkpoint + ": max |Δlogit| " + d + " > " + tol);
    }

    private static void cli(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tiny-rwkv-5v2-fp32.pth", "tiny-rwkv-6v0-fp32.pth", "tiny-rwkv-7v0-bf16.pth", "tiny-rwkv-4v0-fp32.pth"})
    void convertChainKeepsLogits(String pth) throws IOException {
        Path src = Fixtures.require("models/pth/" + pth);
        Path container = dir.resolve("a.rwkv-edge");
        Path st = dir.resolve("b.safetensors");
        Path bin = dir.resolve("c.bin");
        cli("convert", src.toString(), container.toString());
        cli("convert", container.toString(), st.toString());
        cli("convert", st.toString(), bin.toString());
        float[][] expected = logits(src);
        for (Path p : new Path[] {container, st, bin}) {
            double d = maxDiff(expected, logits(p));
            assertTrue(d <= 1e-5, pth + " → " + p.getFileName() + ": max |Δlogit| " + d);
        }
        Path f16 = dir.resolve("d.bin");
        cli("convert", src.toString(), f16.toString(), "--dtype", "f16");
        double d16 = maxDiff(expected, logits(f16));
        assertTrue(d16 <= 2e-2, pth + " → FP16 .bin: max |Δlogit| " + d16 + " (README FP16 tolerance 2e-2)");
    }
}
