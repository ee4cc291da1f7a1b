package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses, chosen once per JVM, and a deterministic horizontal sum.
 *
 * <p>All kernels work on {@code L} float lanes: the preferred shape, capped at 512 bits (16 lanes; wider SVE shapes
 * would not divide a 32-element ggml block into whole halves). On this project's AVX-512 machines L = 16
 * (PERF-NOTES). Companion species load the narrower raw data that widens to L lanes:
 * <pre>
 *   F  float  × L     weights and activations
 *   I  int    × L     widened integer quants, F16/BF16 bit patterns
 *   H  short  × L     raw F16/BF16 (half the bits of F)
 *   B  byte   × max(8, L)   raw Q8 bytes / nibble bytes (at least 64 bits: no 32-bit byte shape exists)
 *   D  double × L/2   LayerNorm sums (same bits as F)
 * </pre>
 *
 * <p>Why not {@code reduceLanes(ADD)}: its floating-point order is left to the implementation, and the interpreter's
 * fallback and C2's intrinsic need not agree. Sequence mode must reproduce serial mode bit for bit even when one of
 * them ran before the kernel was compiled, so every float reduction here is an explicit rotate-and-add tree, the
 * same lanewise operations in every tier.
 */
final class VectorShapes {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** Int vectors of L lanes that one load of {@link #B} widens into. */
    static final int B_PARTS = B.length() / L;
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

    private static final VectorShuffle<Float> ROT_HALF = VectorShuffle.iota(F, L / 2, 1, true);
    private static final VectorShuffle<Float> ROT_QUARTER = VectorShuffle.iota(F, Math.max(1, L / 4), 1, true);
    private static final VectorShuffle<Float> ROT_EIGHTH = VectorShuffle.iota(F, Math.max(1, L / 8), 1, true);
    private static final VectorShuffle<Float> ROT_SIXTEENTH = VectorShuffle.iota(F, Math.max(1, L / 16), 1, true);
    private static final int DL = D.length();
    private static final VectorShuffle<Double> D_ROT_HALF = VectorShuffle.iota(D, Math.max(1, DL / 2), 1, true);
    private static final VectorShuffle<Double> D_ROT_QUARTER = VectorShuffle.iota(D, Math.max(1, DL / 4), 1, true);
    private static final VectorShuffle<Double> D_ROT_EIGHTH = VectorShuffle.iota(D, Math.max(1, DL / 8), 1, true);

    private VectorShapes() {
    }

    /** Bits of the preferred float shape; called reflectively by the provider's probe. */
    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /**
     * Sum of the lanes as a fixed tree: lane i is added to lane i+L/2, then i+L/4, … (for L = 16:
     * ((a0+a8)+(a4+a12))+((a2+a10)+(a6+a14)) + … ), identical in the interpreter and in compiled code.
     */
    static float sum(FloatVector v) {
        v = v.add(v.rearrange(ROT_HALF));
        if (L >= 4) {
            v = v.add(v.rearrange(ROT_QUARTER));
        }
        if (L >= 8) {
            v = v.add(v.rearrange(ROT_EIGHTH));
        }
        if (L >= 16) {
            v = v.add(v.rearrange(ROT_SIXTEENTH));
        }
        return v.lane(0);
    }

    /** {@link #sum(FloatVector)} for doubles. */
    static double sum(DoubleVector v) {
        if (DL >= 2) {
            v = v.add(v.rearrange(D_ROT_HALF));
        }
        if (DL >= 4) {
            v = v.add(v.rearrange(D_ROT_QUARTER));
        }
        if (DL >= 8) {
            v = v.add(v.rearrange(D_ROT_EIGHTH));
        }
        return v.lane(0);
    }

    /** Part {@code part} (L lanes) of a byte vector, sign-extended to ints. */
    static IntVector widen(ByteVector b, int part) {
        return (IntVector) b.convertShape(jdk.incubator.vector.VectorOperators.B2I, I, part);
    }

    /** L raw 16-bit values, sign-extended to ints. */
    static IntVector widen(ShortVector s) {
        return (IntVector) s.convertShape(jdk.incubator.vector.VectorOperators.S2I, I, 0);
    }
}
