package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link VectorBackend#rowDots} and {@link VectorBackend#accumulateRows} (the sparse FFN's key and value rows) on
 * awkward widths (one element, one vector2 ±, odd, 2^k + 1; block types 1, 3, 7 and 25 blocks) and every row type:
 * each {@code rowDots} entry equals its row of the same backend's {@code matmul} bit for bit (for the scalar backend,
 * whose {@code rowDots} is the interface default, too), vector2 and scalar agree within a width-scaled float
 * tolerance, float and I8 rows match a float64 product computed here from the dequantized row; {@code accumulateRows}
 * of both backends matches a float64 sum of {@code coef·row} computed here, on top of a nonzero output at an offset.
 */
class SelectedRowsTest extends ScalarAndVector {
    private static final int ROWS = 13;
    private static final int[] FLOAT_COLS = {1, 7, 15, 16, 17, 33, 257, 768, 1031};
    private static final int[] BLOCK_COLS = {32, 96, 224, 800};
    private static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.I8, DType.Q8_0, DType.Q4_0,
            DType.Q4_1, DType.Q5_0, DType.Q5_1};

    private record Case(DType type, int cols) {
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (DType type : TYPES) {
            boolean blocks = type != DType.F32 && type != DType.F16 && type != DType.BF16 && type != DType.I8;
            for (int cols : blocks ? BLOCK_COLS : FLOAT_COLS) {
                cases.add(new Case(type, cols));
            }
        }
        return cases;
    }

    /** The matrix in 64-byte-aligned native memory, as a mapped file gives it. */
    private static Tensor matrix(DType type, float[] w, int cols, Arena arena) {
        Tensor t = type == DType.I8 ? Int8Rows.quantize("w", w, ROWS, cols)
                : TestTensors.matrix("w", type, w, ROWS, cols);
        MemorySegment seg = arena.allocate(t.byteSize(), 64);
        seg.copyFrom(t.data());
        Tensor n = new Tensor(t.name(), t.dtype(), t.shape(), seg);
        return t.hasRowScale() ? n.withRowScale(t.rowScale()) : n;
    }

    /** Selections: odd and even counts, unsorted, a repeated row, all rows, none. */
    private static int[][] selections() {
        int[] all = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            all[i] = i;
        }
        return new int[][] {{}, {4}, {0, 12}, {1, 2, 5, 11, 12}, {12, 3, 7, 3, 0, 9}, all};
    }

    @Test
    void rowDotsAreTheRowsOfMatmul() {
        try (Arena arena = Arena.ofShared()) {
            for (Case c : cases()) {
                SplittableRandom rnd = new SplittableRandom(c.cols * 31L + c.type.ordinal());
                Tensor w = matrix(c.type, TestTensors.gaussian(rnd, ROWS * c.cols, 1 / Math.sqrt(c.cols)), c.cols, arena);
                int xOff = 5;
                float[] x = new float[xOff + c.cols + 3];
                System.arraycopy(TestTensors.gaussian(rnd, c.cols, 1), 0, x, xOff, c.cols);
                float[] dense = new float[ROWS];
                float[] denseScalar = new float[ROWS];
                vector2.matmul(w, x, xOff, dense, 0, 1);
                scalar.matmul(w, x, xOff, denseScalar, 0, 1);
                for (int[] sel : selections()) {
                    float[] got = new float[sel.length + 1];
                    float[] got3 = new float[sel.length + 1];
                    float[] ref = new float[sel.length + 1];
                    got[sel.length] = 42f;
                    vector2.rowDots(w, sel, sel.length, x, xOff, got);
                    vector3.rowDots(w, sel, sel.length, x, xOff, got3);
                    scalar.rowDots(w, sel, sel.length, x, xOff, ref);
                    assertEquals(42f, got[sel.length], "wrote past count");
                    for (int s = 0; s < sel.length; s++) {
                        int r = sel[s];
                        String at = c + " row " + r;
                        assertEquals(Float.floatToRawIntBits(dense[r]), Float.floatToRawIntBits(got[s]),
                                at + ": vector rowDots " + got[s] + " vs matmul " + dense[r]);
                        assertEquals(Float.floatToRawIntBits(dense[r]), Float.floatToRawIntBits(got3[s]),
                                at + ": 3-thread vector rowDots " + got3[s] + " vs matmul " + dense[r]);
                        assertEquals(Float.floatToRawIntBits(denseScalar[r]), Float.floatToRawIntBits(ref[s]),
                                at + ": scalar rowDots " + ref[s] + " vs matmul " + denseScalar[r]);
                        double mag = TestTensors.magnitude(w, r, x, xOff);
                        double tol = 2 * (c.cols + 2) * 0x1p-24 * mag + 1e-30;
                        assertTrue(Math.abs(got[s] - ref[s]) <= tol, at + ": vector " + got[s] + " vs scalar " + ref[s]);
                        if (c.type.isFloat() || c.type == DType.I8) {
                            float[] row = new float[c.cols];
                            w.readRow(r, row, 0);
                            double exact = 0;
                            for (int i = 0; i < c.cols; i++) {
                                float xi = c.type == DType.F16 ? Half.roundToF16(x[xOff + i]) : x[xOff + i];
                                exact += (double) row[i] * xi;
                            }
                            assertTrue(Math.abs(got[s] - exact) <= tol, at + ": vector " + got[s] + " vs float64 "
                                    + exact);
                        }
                    }
                }
            }
        }
    }

    @Test
    void accumulateRowsAddsTheWeightedRows() {
        try (Arena arena = Arena.ofShared()) {
            for (Case c : cases()) {
                SplittableRandom rnd = new SplittableRandom(c.cols * 17L + c.type.ordinal());
                Tensor w = matrix(c.type, TestTensors.gaussian(rnd, ROWS * c.cols, 1), c.cols, arena);
                int outOff = 3;
                float[] start = TestTensors.gaussian(rnd, outOff + c.cols + 2, 0.5);
                for (int[] sel : selections()) {
                    float[] coef = TestTensors.gaussian(rnd, sel.length, 2);
                    double[] exact = new double[c.cols];
                    double[] mag = new double[c.cols];
                    float[] row = new float[c.cols];
                    for (int o = 0; o < c.cols; o++) {
                        exact[o] = start[outOff + o];
                        mag[o] = Math.abs(start[outOff + o]);
                    }
                    for (int s = 0; s < sel.length; s++) {
                        w.readRow(sel[s], row, 0);
                        for (int o = 0; o < c.cols; o++) {
                            exact[o] += (double) coef[s] * row[o];
                            mag[o] += Math.abs((double) coef[s] * row[o]);
                        }
                    }
                    float[] got = start.clone();
                    float[] ref = start.clone();
                    vector2.accumulateRows(w, sel, coef, sel.length, got, outOff);
                    scalar.accumulateRows(w, sel, coef, sel.length, ref, outOff);
                    for (int i = 0; i < start.length; i++) {
                        if (i < outOff || i >= outOff + c.cols) {
                            assertEquals(start[i], got[i], c + ": element " + i + " outside the output changed");
                        }
                    }
                    for (int o = 0; o < c.cols; o++) {
                        double tol = (sel.length + 3) * 0x1p-24 * mag[o] + 1e-30;
                        String at = c + " " + sel.length + " rows, element " + o;
                        float a = got[outOff + o];
                        float b = ref[outOff + o];
                        assertTrue(Math.abs(a - exact[o]) <= tol, at + ": vector " + a + " vs float64 " + exact[o]);
                        assertTrue(Math.abs(b - exact[o]) <= tol, at + ": scalar " + b + " vs float64 " + exact[o]);
                    }
                }
            }
        }
    }
}
