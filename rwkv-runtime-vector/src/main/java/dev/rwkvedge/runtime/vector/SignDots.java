package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.SignBits;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_EIGHTH;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_HALF;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_QUARTER;
import static dev.rwkvedge.runtime.vector.VectorShapes.ROT_SIXTEENTH;

/**
 * {@link VectorBackend#signDots}: the sign predictor's scores {@code Σ x_i} over the set bits of each row of a one-bit
 * matrix ({@link SignBits}), as masked adds. Each 64 columns' bits are one little-endian {@code long}; its L-bit pieces
 * become lane masks ({@link VectorMask#fromLong}, a mask-register move on AVX-512) under which the activation vector
 * is added to one of four accumulators (four independent add chains):
 * <pre>
 *   word = bits[row, 8w .. 8w+8)             bit k = column 64w + k
 *   a0 += x[64w      .. +L)  where bits 0..L−1 of word
 *   a1 += x[64w + L  .. +L)  where bits L..2L−1          (and so on, a(k/L mod 4))
 * </pre>
 * then {@code (a0 + a1) + (a2 + a3)} is folded with the rotate tree of {@link VectorShapes}, and columns past the
 * last whole word are added one by one. Per 16 columns that is a mask move and one add, against two table reads per 16
 * columns for the reference's byte table, whose 96 KiB (at C = 768) does not stay in L1. {@link Job} computes rows in
 * pairs ({@link #rows2}) and splits them over the backend's workers.
 */
final class SignDots {
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SignDots() {
    }

    /**
     * Rows at bytes {@code base0} and {@code base1} in one pass: the two rows share the activation loads, and their
     * eight accumulators are eight independent add chains (one row's four chains leave the adder waiting on its
     * four-cycle latency). Each row's sum is the same whatever its partner, so a lone row is passed as both.
     */
    static void rows2(MemorySegment bits, long base0, long base1, int cols, float[] x, int xOff, float[] out, int o0,
                      int o1) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int c = 0;
        for (; c + 64 <= cols; c += 64) {
            long wa = bits.get(I64, base0 + (c >>> 3));
            long wb = bits.get(I64, base1 + (c >>> 3));
            for (int k = 0; k < 64; k += 4 * L) {
                int xo = xOff + c + k;
                FloatVector x0 = FloatVector.fromArray(F, x, xo);
                FloatVector x1 = FloatVector.fromArray(F, x, xo + L);
                FloatVector x2 = FloatVector.fromArray(F, x, xo + 2 * L);
                FloatVector x3 = FloatVector.fromArray(F, x, xo + 3 * L);
                a0 = a0.add(x0, VectorMask.fromLong(F, wa >>> k));
                b0 = b0.add(x0, VectorMask.fromLong(F, wb >>> k));
                a1 = a1.add(x1, VectorMask.fromLong(F, wa >>> (k + L)));
                b1 = b1.add(x1, VectorMask.fromLong(F, wb >>> (k + L)));
                a2 = a2.add(x2, VectorMask.fromLong(F, wa >>> (k + 2 * L)));
                b2 = b2.add(x2, VectorMask.fromLong(F, wb >>> (k + 2 * L)));
                a3 = a3.add(x3, VectorMask.fromLong(F, wa >>> (k + 3 * L)));
                b3 = b3.add(x3, VectorMask.fromLong(F, wb >>> (k + 3 * L)));
            }
        }
        FloatVector s = a0.add(a1).add(a2.add(a3));
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum0 = s.lane(0);
        s = b0.add(b1).add(b2.add(b3));
        s = s.add(s.rearrange(ROT_HALF));
        s = s.add(s.rearrange(ROT_QUARTER));
        s = s.add(s.rearrange(ROT_EIGHTH));
        if (L >= 16) {
            s = s.add(s.rearrange(ROT_SIXTEENTH));
        }
        float sum1 = s.lane(0);
        for (; c < cols; c++) {
            long byteAt = c >>> 3;
            int bit = c & 7;
            if ((bits.get(ValueLayout.JAVA_BYTE, base0 + byteAt) >>> bit & 1) != 0) {
                sum0 += x[xOff + c];
            }
            if ((bits.get(ValueLayout.JAVA_BYTE, base1 + byteAt) >>> bit & 1) != 0) {
                sum1 += x[xOff + c];
            }
        }
        out[o0] = sum0;
        out[o1] = sum1;
    }

    /**
     * One {@code signDots} call's arguments and its row loop, reused by the calling thread. For a chunk of tokens
     * each pair of rows is run against every token before the next pair, so its bits are read from memory once.
     */
    static final class Job implements WorkerPool.Task {
        private MemorySegment bits;
        private long stride;
        private int cols;
        private int rows;
        private float[] x;
        private int xOff;
        private float[] out;
        private int n;

        void prepare(MemorySegment bits, int rows, int cols, float[] x, int xOff, float[] out, int n) {
            this.bits = bits;
            this.stride = SignBits.stride(cols);
            this.rows = rows;
            this.cols = cols;
            this.x = x;
            this.xOff = xOff;
            this.out = out;
            this.n = n;
        }

        void clear() {
            bits = null;
            x = null;
            out = null;
        }

        @Override
        public void run(int from, int to, RowStage stage) {
            int j = from;
            for (; j + 1 < to; j += 2) {
                for (int t = 0; t < n; t++) {
                    int o = t * rows + j;
                    rows2(bits, j * stride, (j + 1) * stride, cols, x, xOff + t * cols, out, o, o + 1);
                }
            }
            if (j < to) {
                for (int t = 0; t < n; t++) {
                    int o = t * rows + j;
                    rows2(bits, j * stride, j * stride, cols, x, xOff + t * cols, out, o, o);
                }
            }
        }
    }
}
