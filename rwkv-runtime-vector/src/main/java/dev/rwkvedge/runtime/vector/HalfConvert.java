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
 * binary16 and bfloat16 weights to float lanes with integer operations only. JDK 25's Vector API has no
 * half-float conversion; comparing and blending per lane is slower than F32 (PERF-NOTES), while this costs four
 * cheap lanewise operations for L weights.
 *
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
 * <p>bfloat16 is the upper half of a binary32: widen and shift left by 16.
 *
 * <p>The hot dot products ({@link FloatDots}) write the same expressions inline (see {@link VectorShapes} on
 * boxing); this class widens whole rows for sequence mode.
 */
final class HalfConvert {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int F16_MASK = 0x8FFFE000;
    static final float F16_REBIAS = 0x1p112f;
    /** The activation factor of {@link FloatDots#dotF16}: the weights' rebias, moved to the activation. */
    static final float F16_SCALE = 0x1p112f;
    static final float F16_UNSCALE = 0x1p-112f;

    private HalfConvert() {
    }

    /** Converts {@code n} binary16 values at byte {@code base} into {@code out[0..n)}: vector body, scalar tail. */
    static void f16Row(MemorySegment seg, long base, float[] out, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(H, seg, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
            ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13)
                    .and(F16_MASK).reinterpretAsFloats().mul(F16_REBIAS).intoArray(out, i);
        }
        for (; i < n; i++) {
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
