package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MLP sparsity predictor (PAPER.md §3.3) on the kernel backends: its logits {@code P2·relu(P1·x) + b} from the
 * scalar backend, the vector backend on its worker pool (every product forced onto it) and the vector backend on one
 * thread, against a float64 reference computed here from the dequantized factors, for P1/P2 stored F32, F16 (the
 * default since the paper keeps the predictor fp16) and per-row INT8 (what {@code quantize} with {@code exclude: []}
 * makes of them), at awkward sizes (C, h, F not multiples of the vector width, h = 1) and the 169M-class shape.
 *
 * <p>The reference follows the backends' contract: with F16 factors the activation is rounded to binary16 before
 * each product (ggml's convention), so x is rounded before P1 and the hidden vector before P2. The tolerance is the
 * rigorous float32 bound, not a fitted constant: each sum of n products is within {@code (n+2)·2⁻²⁴·Σ|w·x|} of the
 * exact value in any order (two more roundings: an INT8 row's scale, the bias), and a hidden value rounded to binary16 moves by at most {@code 2⁻¹¹} of itself, which
 * P2 carries into the logit as {@code Σ_k |P2_jk|·Δh_k}. Selection must match the reference's {@code logit > cut}
 * for every neuron outside that tolerance band.
 */
class MlpPredictorLogitsTest {
    private static final double U = 0x1p-24;
    private static final double HALF_U = 0x1p-11;

    private static KernelBackend scalar;
    private static VectorBackend pooled;
    private static VectorBackend single;

    @BeforeAll
    static void setUp() {
        scalar = KernelBackends.create("scalar", 1);
        pooled = new VectorBackend(2, 0);
        single = new VectorBackend(1);
    }

    @AfterAll
    static void tearDown() {
        scalar.close();
        pooled.close();
        single.close();
    }

    static Stream<Arguments> cases() {
        int[][] shapes = {{77, 13, 301}, {1, 1, 3}, {33, 5, 17}, {64, 16, 256}, {130, 64, 1000}, {768, 64, 2688}};
        List<Arguments> out = new ArrayList<>();
        for (DType type : new DType[] {DType.F32, DType.F16, DType.I8}) {
            for (int[] s : shapes) {
                out.add(Arguments.of(type, s[0], s[1], s[2]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} C={1} h={2} F={3}")
    @MethodSource("cases")
    void logitsMatchFloat64ReferenceOnEveryBackend(DType type, int c, int h, int f) {
        SplittableRandom rnd = new SplittableRandom(31L * c + 7L * h + f + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            Tensor p1 = stored("p1", type, TestTensors.gaussian(rnd, h * c, 1 / Math.sqrt(c)), h, c, arena);
            Tensor p2 = stored("p2", type, TestTensors.gaussian(rnd, f * h, 1 / Math.sqrt(h)), f, h, arena);
            float[] bias = TestTensors.gaussian(rnd, f, 0.5);
            MlpNeuronPredictor mlp = new MlpNeuronPredictor(p1, p2, bias, 0.4);
            boolean roundActivations = type == DType.F16;
            float[] w1 = p1.toFloatArray();
            float[] w2 = p2.toFloatArray();
            int positiveHidden = 0;
            int zeroHidden = 0;
            for (int token = 0; token < 4; token++) {
                // Offset into a longer buffer, as the FFN passes token t of a chunk; large values for the F16 rounding.
                int off = 3 + token;
                float[] x = TestTensors.gaussian(rnd, off + c + 2, token == 3 ? 40 : 1.5);
                double[] ref = new double[f];
                double[] tol = new double[f];
                double[] hidden = reference(w1, w2, bias, x, off, c, h, f, roundActivations, ref, tol);
                for (double v : hidden) {
                    if (v > 0) {
                        positiveHidden++;
                    } else {
                        zeroHidden++;
                    }
                }
                for (KernelBackend b : new KernelBackend[] {scalar, pooled, single}) {
                    float[] logits = new float[f];
                    mlp.logits(b, x, off, new float[h], logits);
                    for (int j = 0; j < f; j++) {
                        assertEquals(ref[j], logits[j], tol[j], b.name() + "/" + b.threads() + " " + type + " token "
                                + token + " neuron " + j);
                    }
                    int[] selected = new int[f];
                    int n = mlp.select(b, x, off, selected, new SparseWorkspace(c, f, h));
                    boolean[] in = new boolean[f];
                    for (int s = 0; s < n; s++) {
                        in[selected[s]] = true;
                        assertTrue(s == 0 || selected[s] > selected[s - 1], "ascending");
                    }
                    double cut = mlp.logitThreshold();
                    for (int j = 0; j < f; j++) {
                        if (Math.abs(ref[j] - cut) > tol[j]) {
                            assertEquals(ref[j] > cut, in[j], b.name() + " neuron " + j + ": reference logit " + ref[j]
                                    + " vs cut " + cut);
                        }
                    }
                }
            }
            assertTrue(h == 1 || positiveHidden > 0 && zeroHidden > 0, "the ReLU must matter: " + positiveHidden
                    + " positive, " + zeroHidden + " zero hidden values");
        }
    }

    /**
     * Fills {@code ref} with the float64 logits and {@code tol} with their float32 error bound; returns the hidden
     * vector after the ReLU.
     */
    private static double[] reference(float[] w1, float[] w2, float[] bias, float[] x, int off, int c, int h, int f,
                                      boolean roundActivations, double[] ref, double[] tol) {
        double[] hid = new double[h];
        double[] hidErr = new double[h];
        for (int k = 0; k < h; k++) {
            double s = 0;
            double mag = 0;
            for (int i = 0; i < c; i++) {
                double xi = roundActivations ? Half.roundToF16(x[off + i]) : x[off + i];
                s += w1[k * c + i] * xi;
                mag += Math.abs(w1[k * c + i] * xi);
            }
            hid[k] = Math.max(0, s);
            double sumErr = (c + 2) * U * mag;
            hidErr[k] = sumErr + (roundActivations ? HALF_U * (hid[k] + sumErr) : 0);
        }
        for (int j = 0; j < f; j++) {
            double s = 0;
            double spread = 0;
            double mag = 0;
            for (int k = 0; k < h; k++) {
                s += w2[j * h + k] * hid[k];
                spread += Math.abs(w2[j * h + k]) * hidErr[k];
                mag += Math.abs(w2[j * h + k]) * (hid[k] + hidErr[k]);
            }
            ref[j] = s + bias[j];
            tol[j] = spread + (h + 3) * U * (mag + Math.abs(bias[j])) + 1e-30;
        }
        return hid;
    }

    /** {@code values} as {@code type} (I8: per-row INT8 with its scale) in 64-byte-aligned native memory. */
    private static Tensor stored(String name, DType type, float[] values, int rows, int cols, Arena arena) {
        Tensor heap = switch (type) {
            case I8 -> Int8Rows.quantize(name, values, rows, cols);
            case F16 -> {
                short[] s = new short[values.length];
                for (int i = 0; i < s.length; i++) {
                    s[i] = Half.floatToF16(values[i]);
                }
                yield new Tensor(name, type, new long[] {rows, cols}, MemorySegment.ofArray(s));
            }
            default -> Tensor.ofFloats(name, values, rows, cols);
        };
        MemorySegment seg = arena.allocate(heap.byteSize(), 64);
        seg.copyFrom(heap.data());
        Tensor t = new Tensor(name, type, heap.shape(), seg);
        return heap.hasRowScale() ? t.withRowScale(heap.rowScale()) : t;
    }
}
