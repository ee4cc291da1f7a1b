package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.SignBits;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link VectorBackend#signDots} (masked adds on the worker pool) and the scalar backend's reference (the byte table
 * of {@link SignBits}) against a float64 sum computed here bit by bit, on widths around the 64-column word and the
 * 16-lane mask (1, 7, 8, 9, 63, 64, 65, 127, 128, 200, 768, 1000), bits in 64-byte-aligned native memory as a mapped
 * file gives them and on the heap, with the activation at an offset; and the chunk form ({@code n} tokens) against the
 * single-token calls, bit for bit.
 */
class SignDotsTest extends ScalarAndVector {
    private static final int ROWS = 301;
    private static final int[] COLS = {1, 7, 8, 9, 63, 64, 65, 127, 128, 200, 768, 1000};

    @Test
    void scoresAreTheSumsOfTheSetColumns() {
        try (Arena arena = Arena.ofShared()) {
            for (int cols : COLS) {
                SplittableRandom rnd = new SplittableRandom(cols);
                int stride = SignBits.stride(cols);
                byte[] bits = new byte[ROWS * stride];
                for (int j = 0; j < ROWS; j++) {
                    for (int i = 0; i < cols; i++) {
                        // Densities from none to all across the rows, so some rows are all-zero and some all-one.
                        if (rnd.nextInt(ROWS - 1) < j) {
                            bits[j * stride + (i >> 3)] |= (byte) (1 << (i & 7));
                        }
                    }
                }
                int xOff = 3;
                float[] x = new float[xOff + cols + 5];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * (1 + 100 * (i % 7 == 0 ? 1 : 0)));
                }
                MemorySegment nat = arena.allocate(bits.length, 64);
                nat.copyFrom(MemorySegment.ofArray(bits));
                Tensor heap = SignBits.tensor("bits", bits, cols, ROWS);
                Tensor mapped = new Tensor("bits", DType.I8, new long[] {ROWS, stride}, nat);
                for (Tensor t : new Tensor[] {heap, mapped}) {
                    float[] v = new float[ROWS];
                    float[] s = new float[ROWS];
                    vector2.signDots(t, cols, x, xOff, v);
                    scalar.signDots(t, cols, x, xOff, s);
                    for (int j = 0; j < ROWS; j++) {
                        double exact = 0;
                        double mag = 0;
                        for (int i = 0; i < cols; i++) {
                            if ((bits[j * stride + (i >> 3)] >> (i & 7) & 1) != 0) {
                                exact += x[xOff + i];
                                mag += Math.abs(x[xOff + i]);
                            }
                        }
                        double tol = (cols + 4) * 0x1p-24 * mag + 1e-30;
                        String at = "cols " + cols + " row " + j + (t == heap ? " heap" : " native");
                        assertTrue(Math.abs(v[j] - exact) <= tol, at + ": vector " + v[j] + " vs exact " + exact);
                        assertTrue(Math.abs(s[j] - exact) <= tol, at + ": scalar " + s[j] + " vs exact " + exact);
                    }
                }
            }
        }
    }

    /** A chunk of tokens gives every token the bits of its single-token call, on every backend and thread count. */
    @Test
    void aChunkGivesEachTokenItsSingleTokenBits() {
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {9, 65, 768}) {
                SplittableRandom rnd = new SplittableRandom(cols * 7L);
                int stride = SignBits.stride(cols);
                byte[] bits = new byte[ROWS * stride];
                rnd.nextBytes(bits);
                MemorySegment nat = arena.allocate(bits.length, 64);
                nat.copyFrom(MemorySegment.ofArray(bits));
                Tensor t = new Tensor("bits", DType.I8, new long[] {ROWS, stride}, nat);
                for (int n : new int[] {1, 2, 5}) {
                    int xOff = 2;
                    float[] x = new float[xOff + n * cols];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian();
                    }
                    for (var backend : new dev.rwkvedge.spi.KernelBackend[] {scalar, vector1, vector2, vector3}) {
                        float[] chunk = new float[n * ROWS];
                        backend.signDots(t, cols, x, xOff, chunk, n);
                        float[] one = new float[ROWS];
                        for (int k = 0; k < n; k++) {
                            backend.signDots(t, cols, x, xOff + k * cols, one);
                            for (int j = 0; j < ROWS; j++) {
                                assertEquals(Float.floatToRawIntBits(one[j]), Float.floatToRawIntBits(chunk[k * ROWS + j]),
                                        backend.name() + " " + backend.threads() + " threads, cols " + cols + ", n "
                                                + n + ", token " + k + ", row " + j);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void aTensorOfTheWrongShapeIsRefusedNamingIt() {
        Tensor bits = SignBits.tensor("blocks.3.ffn.predictor.sign", new byte[4 * 8], 64, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vector2.signDots(bits, 65, new float[65], 0, new float[4]));
        assertTrue(e.getMessage().contains("blocks.3.ffn.predictor.sign"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scalar.signDots(bits, 65, new float[65], 0, new float[4]));
        assertEquals(4, SignBits.checkShape(bits, 64));
    }
}
