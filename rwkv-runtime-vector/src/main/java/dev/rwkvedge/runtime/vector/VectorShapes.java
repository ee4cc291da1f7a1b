package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses, chosen once per JVM, and the shuffles of the deterministic horizontal sum.
 *
 * <p>All kernels work on {@code L} float lanes: the preferred shape, capped at 512 bits (16 lanes; wider SVE shapes
 * would not divide a 32-element ggml block into whole halves), at least 256 bits (8 lanes: a byte vector of L lanes
 * must exist, and there is no 32-bit shape; the provider rejects narrower machines). On this project's AVX-512
 * machines L = 16 (PERF-NOTES). Companion species load the narrower raw data that widens to L lanes:
 * <pre>
 *   F  float  × L     weights and activations
 *   I  int    × L     widened integer quants, F16/BF16 bit patterns
 *   H  short  × L     raw F16/BF16 (half the bits of F)
 *   B  byte   × L     raw Q8 bytes / nibble bytes
 *   D  double × L/2   LayerNorm sums (same bits as F)
 * </pre>
 *
 * <h2>Horizontal sums</h2>
 * Kernels sum lanes with a fixed rotate-and-add tree, written out at each site:
 * <pre>
 *   v += rotate(v, L/2);  v += rotate(v, L/4);  …  v += rotate(v, 1);  result = lane 0
 *   (L = 16: ((a0+a8)+(a4+a12)) + ((a2+a10)+(a6+a14)) + …)
 * </pre>
 * Why not {@code reduceLanes(ADD)}: its floating-point order is left to the implementation, and the interpreter's
 * fallback and C2's intrinsic need not agree (on AArch64 C2 may reduce pairwise). Sequence mode must reproduce serial
 * mode bit for bit even when one of them ran before the kernel was compiled, so every float reduction is made of
 * lanewise operations, identical in every tier.
 *
 * <h2>Why the kernels are written out rather than factored into small vector helpers</h2>
 * A vector passed to or returned from a method that C2 does not inline is boxed: an allocation per call, and an
 * order of magnitude slower. C2 inlines cold call sites only below 35 bytecodes and stops inlining in large methods
 * (NodeCountInliningCutoff), so helpers that take or return vectors, called once per row or per block, do get boxed
 * (measured with -XX:+PrintInlining and the allocation test). Kernel methods therefore keep vectors local and
 * take and return only arrays, segments and scalars.
 */
final class VectorShapes {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());

    /*
     * Lane-fold shuffles. The kernels repeat the fold (rotate by half, quarter, eighth, sixteenth and add) inline
     * instead of calling a helper that takes and returns a FloatVector: C2 does not always inline such a helper into
     * the large block kernels, and then every call boxes its vectors (AllocationTest measured 1 MB per token for Q5_1
     * when the fold was a method).
     */
    static final VectorShuffle<Float> ROT_HALF = VectorShuffle.iota(F, L / 2, 1, true);
    static final VectorShuffle<Float> ROT_QUARTER = VectorShuffle.iota(F, L / 4, 1, true);
    static final VectorShuffle<Float> ROT_EIGHTH = VectorShuffle.iota(F, L / 8, 1, true);
    static final VectorShuffle<Float> ROT_SIXTEENTH = VectorShuffle.iota(F, Math.max(1, L / 16), 1, true);
    static final int DL = D.length();
    static final VectorShuffle<Double> D_ROT_HALF = VectorShuffle.iota(D, DL / 2, 1, true);
    static final VectorShuffle<Double> D_ROT_QUARTER = VectorShuffle.iota(D, DL / 4, 1, true);
    static final VectorShuffle<Double> D_ROT_EIGHTH = VectorShuffle.iota(D, Math.max(1, DL / 8), 1, true);

    private VectorShapes() {
    }
}
