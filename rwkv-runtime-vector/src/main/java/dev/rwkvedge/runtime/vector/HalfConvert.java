package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.rwkvedge.runtime.vector.VectorShapes.F;
import static dev.rwkvedge.runtime.vector.VectorShapes.H;
import static dev.rwkvedge.runtime.vector.VectorShapes.I;
import static dev.rwkvedge.runtime.vector.VectorShapes.L;

/**
 * binary16 and bfloat16 weights to floats, and the integer widening of binary16 that the decode kernels inline.
 *
 * <h2>binary16 in the decode kernels: integer operations</h2>
 * JDK 25's Vector API has no half-float conversion; comparing and blending per lane is slower than F32
 * (PERF-NOTES), while this costs three cheap lanewise operations for L weights, the × 2^112 being moved into the
 * activation ({@link FloatDots#dotF16}):
 * <pre>
 * binary16                          s eeeee mmmmmmmmmm                       (16 bits)
 * S2I, sign-extended                s…s s eeeee mmmmmmmmmm                   (bits 31..16 copies of s)
 * &lt;&lt; 13                             ssss eeeee mmmmmmmmmm 0000000000000     (31..28 = s, 27..23 = e, 22..13 = m)
 * AND 0x8FFFE000                    s000 eeeee mmmmmmmmmm 0000000000000     a float with exponent field e
 * × 2^112                           rebias 2^(e−127) → 2^(e−15)
 * </pre>
 * Normal values are exact; subnormal halves (e = 0) become float subnormals m·2^−136 and then exactly m·2^−24.
 * Infinities and NaNs (e = 31) come out as finite 2^16-range numbers: model weights contain none, and the scalar
 * tails use {@link Float#float16ToFloat}, which is exact for all inputs.
 *
 * <h2>binary16 rows widened into a buffer: the JIT's conversion loop</h2>
 * {@link #f16Row} (sequence-mode staging, {@link RowAccumulate}) is a plain loop over {@link Float#float16ToFloat},
 * which C2 intrinsifies and, in a counted loop, vectorizes to the hardware conversion (x86 {@code vcvtph2ps},
 * AArch64 {@code fcvtl}; intrinsic since JDK 20, auto-vectorized since JDK 21). It is exact for every input, and it
 * avoids a cost of the integer widening: subnormal halves become float <em>subnormals</em>, which an Intel core
 * multiplies through a microcode assist of about a hundred cycles (MXCSR's DAZ/FTZ are off in Java). Random
 * N(0, 0.02) weights hold 0.24% subnormal halves (0.31% in the synthetic 169M file), so about one 16-lane multiply in
 * 26 takes the assist. In one run (one thread, 1024 × 768, in cache) the integer widening ran at 11.4 GB/s with such
 * weights and 18.5 GB/s with them flushed to zero; this loop plus a float dot product ran at 19.6 GB/s on either.
 *
 * <p>Decoding keeps the integer widening all the same: there each weight is used once, straight from memory, and the
 * assists hide behind the memory stalls. Widening decode rows into buffers too measured 5% slower on the 430M F16
 * model with two threads (51.4-53.5 against 48.9-49.2 ms/token, alternating runs), the extra stores and loads costing
 * more than the assists.
 *
 * <h2>bfloat16</h2>
 * The upper half of a binary32: widen and shift left by 16, exact for every input.
 */
final class HalfConvert {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int F16_MASK = 0x8FFFE000;
    /** The activation factor of {@link FloatDots#dotF16}: the weights' rebias, moved to the activation. */
    static final float F16_SCALE = 0x1p112f;
    static final float F16_UNSCALE = 0x1p-112f;

    private HalfConvert() {
    }

    /**
     * Converts {@code n} binary16 values at byte {@code base} into {@code out[0..n)}. Keep this loop plain (a counted
     * int loop, one load and one store per element): that is the shape C2's SuperWord vectorizes.
     */
    static void f16Row(MemorySegment seg, long base, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = Float.float16ToFloat(seg.get(I16, base + 2L * i));
        }
    }

    /** Converts {@code n} bfloat16 values at byte {@code base} into {@code out[0..n)}. */
    static void bf16Row(MemorySegment seg, long base, float[] out, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(H, seg, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
            FloatVector f = ((IntVector) h.convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            f.intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = bf16Scalar(seg.get(I16, base + 2L * i));
        }
    }

    /**
     * A binary16 value times 2^−112, exactly, from its bits with integer operations only: the widening above
     * without the final multiply (the caller's other factor carries the 2^112). Exact for every finite input,
     * zero and subnormals included; the block kernels use it for their per-block scales.
     */
    static float unscaled(short bits) {
        return Float.intBitsToFloat((bits << 13) & F16_MASK);
    }

    static float bf16Scalar(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
