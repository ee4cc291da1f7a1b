package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.ActivationQuant;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every vector kernel against the scalar reference on awkward sizes: one block, odd row counts, lengths just above a
 * power of two and not a multiple of the vector length, one and three tokens, non-zero offsets. Float products may
 * differ by summation order (tolerance scaled by length and Σ|w·x|); block products have identical integer sums and
 * differ only in how the block scales are summed; the sequence product must give every token the bits of the
 * single-token product, and 2 or 3 threads the bits of 1.
 */
class VectorKernelsTest extends ScalarAndVector {
    /** rows × cols for float types: single element, single vector ±, odd rows, 2^k + 1, not multiples of L. */
    private static final int[][] FLOAT_SHAPES = {{1, 1}, {1, 16}, {3, 15}, {7, 33}, {5, 257}, {4, 133}, {17, 768}, {9, 1031}};
    /** rows × cols for block types (cols a multiple of 32): one block, odd block counts, 2^k + 32. */
    private static final int[][] BLOCK_SHAPES = {{1, 32}, {7, 64}, {3, 96}, {5, 288}, {11, 800}, {2, 1056}};

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (DType t : TestTensors.MATMUL_TYPES) {
            for (int[] s : t.isQuantized() ? BLOCK_SHAPES : FLOAT_SHAPES) {
                out.add(Arguments.of(t, s[0], s[1]));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void matmulMatchesScalar(DType type, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(31L * rows + cols + type.ordinal());
        Tensor w = TestTensors.matrix("w", type, TestTensors.gaussian(rnd, rows * cols, 1 / Math.sqrt(cols)), rows, cols);
        int n = 3;
        int xOff = 5;
        int outOff = 3;
        float[] x = TestTensors.gaussian(rnd, xOff + n * cols, 1.0);
        float[] ref = new float[outOff + n * rows];
        float[] got = new float[outOff + n * rows];
        scalar.matmul(w, x, xOff, ref, outOff, n);
        vector1.matmul(w, x, xOff, got, outOff, n);

        // Scalar-vs-vector: float sums in another order. Block types: the integer sums are identical and only the
        // per-block scale products are accumulated lanewise, so the bound is in blocks, not elements.
        double eps = 0x1p-24;
        int terms = type.isQuantized() ? cols / 32 + VectorShapes.L : cols;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double mag = TestTensors.magnitude(w, r, x, xOff + t * cols);
                if (type == DType.F16 || type.isQuantized()) {
                    mag *= 1.01; // activation rounding: the scalar's products use the same rounded x, mag is a bound
                }
                double tol = 2 * terms * eps * mag + 1e-30;
                float e = ref[outOff + t * rows + r];
                float a = got[outOff + t * rows + r];
                assertTrue(Math.abs(e - a) <= tol, type + " " + rows + "x" + cols + " token " + t + " row " + r
                        + ": vector " + a + " scalar " + e + " |Δ| " + Math.abs(e - a) + " > " + tol);
            }
        }

        // Sequence = serial, bit for bit, per token.
        for (int t = 0; t < n; t++) {
            float[] single = new float[rows];
            vector1.matmul(w, x, xOff + t * cols, single, 0, 1);
            float[] fromSeq = Arrays.copyOfRange(got, outOff + t * rows, outOff + (t + 1) * rows);
            assertArrayEquals(single, fromSeq, type + " token " + t + ": sequence product differs from single-token");
        }

        // Threads do not change bits, in either mode.
        for (VectorBackend b : new VectorBackend[] {vector2, vector3}) {
            float[] par = new float[outOff + n * rows];
            b.matmul(w, x, xOff, par, outOff, n);
            assertArrayEquals(got, par, type + ": " + b.threads() + " threads differ from 1 (sequence)");
            float[] p1 = new float[rows];
            float[] s1 = new float[rows];
            b.matmul(w, x, xOff, p1, 0, 1);
            vector1.matmul(w, x, xOff, s1, 0, 1);
            assertArrayEquals(s1, p1, type + ": " + b.threads() + " threads differ from 1 (single token)");
        }
    }

    /**
     * Sequence mode tiles rows in groups of {@link RowStage#ROWS} and tokens in pairs (block rows of at least
     * {@link MatmulJob#NARROW_BLOCKS} blocks; narrower ones run the direct kernels per token), and decode pairs rows
     * over quarters of a range: every token count from 1 to 9 and row counts that leave every kind of remainder must
     * still give each token the bits of its single-token product, on one thread and on the pool.
     */
    @Test
    void sequenceOfAnyLengthIsSerialBitForBit() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (DType type : TestTensors.MATMUL_TYPES) {
            int[] widths = type.isQuantized() ? new int[] {96, 32 * MatmulJob.NARROW_BLOCKS + 32} : new int[] {100};
            for (int cols : widths) {
                for (int rows : new int[] {5, 13, 18}) {
                    Tensor w = TestTensors.matrix("w", type, TestTensors.gaussian(rnd, rows * cols, 0.2), rows, cols);
                    for (int n = 1; n <= 9; n++) {
                        float[] x = TestTensors.gaussian(rnd, 1 + n * cols, 1);
                        for (VectorBackend b : new VectorBackend[] {vector1, vector3}) {
                            float[] seq = new float[2 + n * rows];
                            b.matmul(w, x, 1, seq, 2, n);
                            for (int t = 0; t < n; t++) {
                                float[] single = new float[rows];
                                vector1.matmul(w, x, 1 + t * cols, single, 0, 1);
                                assertArrayEquals(single, Arrays.copyOfRange(seq, 2 + t * rows, 2 + (t + 1) * rows),
                                        type + " " + rows + "x" + cols + " n=" + n + " token " + t + " on "
                                                + b.threads() + " threads: sequence differs from single-token");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The direct block kernels widen the weights' binary16 scales with integer operations and move the 2^112 rebias
     * into the activation's scales; the staged path and the scalar backend use {@link Float#float16ToFloat}. Scales
     * that are zero, subnormal (smallest and largest), negative or large must give the same bits both ways and stay
     * within the scalar tolerance.
     */
    @Test
    void edgeCaseBlockScalesAgreeAcrossPaths() {
        short[] scales = {0x0000, 0x0001, 0x03FF, (short) 0x8400, 0x3C00, 0x7BFF, (short) 0x8001, 0x2E66, 0x1234};
        SplittableRandom rnd = new SplittableRandom(5);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_1, DType.Q5_0}) {
            int rows = 7;
            int cols = 32 * scales.length;
            int bb = type.blockBytes();
            byte[] b = new byte[rows * scales.length * bb];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) rnd.nextInt(-127, 128);
            }
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < scales.length; k++) {
                    int at = (r * scales.length + k) * bb;
                    short d = scales[(k + r) % scales.length];
                    b[at] = (byte) d;
                    b[at + 1] = (byte) (d >>> 8);
                    if (type == DType.Q4_1) {
                        short m = scales[(k + 2 * r + 1) % scales.length];
                        b[at + 2] = (byte) m;
                        b[at + 3] = (byte) (m >>> 8);
                    }
                }
            }
            Tensor w = new Tensor("w", type, new long[] {rows, cols}, java.lang.foreign.MemorySegment.ofArray(b));
            int n = 3;
            float[] x = TestTensors.gaussian(rnd, n * cols, 1.0);
            float[] seq = new float[n * rows];
            float[] ref = new float[n * rows];
            vector1.matmul(w, x, 0, seq, 0, n);
            scalar.matmul(w, x, 0, ref, 0, n);
            for (int t = 0; t < n; t++) {
                float[] single = new float[rows];
                vector1.matmul(w, x, t * cols, single, 0, 1);
                assertArrayEquals(Arrays.copyOfRange(seq, t * rows, (t + 1) * rows), single,
                        type + " token " + t + ": direct kernels differ from the staged path");
                for (int r = 0; r < rows; r++) {
                    double mag = 1.01 * TestTensors.magnitude(w, r, x, t * cols);
                    double tol = 2 * (scales.length + VectorShapes.L) * 0x1p-24 * mag + 1e-30;
                    float e = ref[t * rows + r];
                    assertTrue(Math.abs(e - single[r]) <= tol, type + " row " + r + " token " + t + ": vector "
                            + single[r] + " scalar " + e);
                }
            }
        }
    }

    @Test
    void largeProductsUseThePoolAndStayBitIdentical() {
        SplittableRandom rnd = new SplittableRandom(7);
        int rows = 4099;
        int cols = 96;
        for (DType type : TestTensors.MATMUL_TYPES) {
            Tensor w = TestTensors.matrix("w", type, TestTensors.gaussian(rnd, rows * cols, 0.1), rows, cols);
            float[] x = TestTensors.gaussian(rnd, 2 * cols, 1);
            try (VectorBackend dflt = new VectorBackend(3)) {
                for (int n = 1; n <= 2; n++) {
                    float[] a = new float[n * rows];
                    float[] b = new float[n * rows];
                    vector1.matmul(w, x, 0, a, 0, n);
                    dflt.matmul(w, x, 0, b, 0, n);
                    assertArrayEquals(a, b, type + " n=" + n);
                }
            }
        }
    }

    @Test
    void activationQuantizationIsGgmlBitForBit() {
        SplittableRandom rnd = new SplittableRandom(3);
        int len = 32 * 9;
        float[] x = TestTensors.gaussian(rnd, len + 1, 2.0);
        // Block 0: ties at .5 after scaling by 127/amax = 1 (round half to even), block 1: all zero.
        for (int j = 0; j < 32; j++) {
            x[1 + j] = j == 0 ? 127f : (j % 4 - 2) + 0.5f;
            x[1 + 32 + j] = 0f;
        }
        byte[] q = new byte[len];
        float[] d = new float[len / 32];
        float[] s = new float[len / 32];
        ActivationQuant.quantize(x, 1, len, q, d, s);
        float[] xq = new float[len + 7];
        float[] dx = new float[len / 32 + 2];
        float[] sx = new float[len / 32 + 2];
        ActivationQuantizer.quantize(x, 1, len, xq, 7, dx, sx, 2);
        for (int i = 0; i < len; i++) {
            assertEquals(q[i], xq[7 + i], "quant " + i);
        }
        assertArrayEquals(d, Arrays.copyOfRange(dx, 2, 2 + len / 32));
        assertArrayEquals(s, Arrays.copyOfRange(sx, 2, 2 + len / 32));
    }

    @Test
    void normsMatchScalar() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int len : new int[] {1, 7, 16, 33, 64, 257, 768, 1031}) {
            float[] x = TestTensors.gaussian(rnd, len + 2, 3.0);
            for (int i = 0; i < x.length; i++) {
                x[i] += 1.5f;
            }
            float[] w = TestTensors.gaussian(rnd, len, 1.0);
            float[] b = TestTensors.gaussian(rnd, len, 1.0);
            float[] ref = new float[len + 1];
            float[] got = new float[len + 1];
            scalar.layerNorm(x, 2, ref, 1, len, w, b, 1e-5f);
            vector1.layerNorm(x, 2, got, 1, len, w, b, 1e-5f);
            assertClose(ref, got, 1e-6, "layerNorm " + len);
            for (int groups : new int[] {1, len % 4 == 0 ? 4 : 1, len % 12 == 0 ? 12 : 1}) {
                scalar.groupNorm(x, 2, ref, 1, len, groups, w, b, 64e-5f);
                vector1.groupNorm(x, 2, got, 1, len, groups, w, b, 64e-5f);
                assertClose(ref, got, 1e-6, "groupNorm " + len + "/" + groups);
            }
            float[] inPlaceRef = x.clone();
            float[] inPlaceGot = x.clone();
            scalar.layerNorm(inPlaceRef, 2, inPlaceRef, 2, len, w, b, 1e-5f);
            vector1.layerNorm(inPlaceGot, 2, inPlaceGot, 2, len, w, b, 1e-5f);
            assertClose(inPlaceRef, inPlaceGot, 1e-6, "in-place layerNorm " + len);
        }
    }

    @Test
    void wkv5IsBitIdenticalToScalar() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int s : new int[] {64, 20, 16, 3}) {
            int heads = 3;
            int c = heads * s;
            int off = 2;
            float[] r = TestTensors.gaussian(rnd, off + c, 1);
            float[] k = TestTensors.gaussian(rnd, off + c, 1);
            float[] v = TestTensors.gaussian(rnd, off + c, 1);
            float[] w = new float[off + 1 + c];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextDouble(0.5, 1);
            }
            float[] u = TestTensors.gaussian(rnd, c, 1);
            float[] state = TestTensors.gaussian(rnd, 4 + heads * s * s, 1);
            float[] stateRef = state.clone();
            float[] outRef = new float[off + c];
            float[] out = new float[off + c];
            for (int step = 0; step < 3; step++) {
                scalar.wkv5(heads, s, r, k, v, off, w, 1, u, stateRef, 4, outRef);
                vector1.wkv5(heads, s, r, k, v, off, w, 1, u, state, 4, out);
                assertArrayEquals(outRef, out, "wkv5 out s=" + s);
                assertArrayEquals(stateRef, state, "wkv5 state s=" + s);
            }
        }
    }

    @Test
    void wkv7MatchesScalar() {
        SplittableRandom rnd = new SplittableRandom(6);
        for (int s : new int[] {64, 20, 3}) {
            int heads = 2;
            int c = heads * s;
            int off = 1;
            float[] r = TestTensors.gaussian(rnd, off + c, 1);
            float[] k = TestTensors.gaussian(rnd, off + c, 0.3);
            float[] v = TestTensors.gaussian(rnd, off + c, 1);
            float[] a = TestTensors.gaussian(rnd, off + c, 0.1);
            float[] b = TestTensors.gaussian(rnd, off + c, 0.1);
            float[] w = new float[off + c];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextDouble(0.5, 1);
            }
            float[] state = TestTensors.gaussian(rnd, 3 + heads * s * s, 1);
            float[] stateRef = state.clone();
            float[] outRef = new float[off + c];
            float[] out = new float[off + c];
            for (int step = 0; step < 3; step++) {
                scalar.wkv7(heads, s, r, w, k, v, a, b, off, stateRef, 3, outRef);
                vector1.wkv7(heads, s, r, w, k, v, a, b, off, state, 3, out);
                assertClose(outRef, out, 1e-5, "wkv7 out s=" + s);
                assertClose(stateRef, state, 1e-5, "wkv7 state s=" + s);
            }
        }
    }

    @Test
    void wkv4MatchesScalar() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int c : new int[] {1, 16, 37, 768}) {
            int off = 3;
            float[] k = TestTensors.gaussian(rnd, off + c, 2);
            float[] v = TestTensors.gaussian(rnd, off + c, 1);
            float[] w = TestTensors.gaussian(rnd, c, 1);
            for (int i = 0; i < c; i++) {
                w[i] = -Math.abs(w[i]) - 0.01f;
            }
            float[] u = TestTensors.gaussian(rnd, c, 1);
            float[] state = new float[3 * c + 2];
            for (int i = 0; i < c; i++) {
                state[2 + 2 * c + i] = -1e38f;
            }
            float[] stateRef = state.clone();
            float[] outRef = new float[off + c];
            float[] out = new float[off + c];
            for (int step = 0; step < 4; step++) {
                scalar.wkv4(c, k, v, off, w, u, stateRef, 2, 2 + c, 2 + 2 * c, outRef);
                vector1.wkv4(c, k, v, off, w, u, state, 2, 2 + c, 2 + 2 * c, out);
                assertClose(outRef, out, 1e-5, "wkv4 out c=" + c);
                assertClose(stateRef, state, 1e-5, "wkv4 state c=" + c);
            }
        }
    }

    /** |Δ| ≤ rel·max(1, |expected|) element by element. */
    static void assertClose(float[] expected, float[] actual, double rel, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = rel * Math.max(1, Math.abs(expected[i]));
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + " [" + i + "]: expected " + expected[i]
                    + ", got " + actual[i]);
        }
    }
}
