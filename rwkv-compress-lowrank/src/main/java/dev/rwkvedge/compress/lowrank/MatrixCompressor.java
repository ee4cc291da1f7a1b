package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.operators.LowRankOperatorProvider;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;

import java.util.SplittableRandom;

/**
 * Factorises one matrix {@code W (m × n)} into the {@code lowrank} operator's {@code A (m × r)} and {@code B (r × n)}:
 * choose r, skip if the factors would not be smaller, decompose (plain or whitened, exact or randomized SVD), split
 * √Σ into both factors, round them to the factor dtype and measure the errors of what was rounded.
 */
final class MatrixCompressor {
    private final LowRankSettings settings;

    MatrixCompressor(LowRankSettings settings) {
        this.settings = settings;
    }

    /** What happened to one matrix. {@code a}/{@code b} are null when it was skipped. */
    record Outcome(String name, int rows, int cols, int rank, long bytesBefore, long bytesAfter, Tensor a, Tensor b,
                   double relativeError, double activationError, String skipped) {
        boolean factorized() {
            return skipped == null;
        }
    }

    /**
     * @param secondMoment XᵀX of the calibration inputs (required for activation-aware, else optional: only used for
     *                     the activation-weighted error)
     */
    Outcome compress(Tensor w, DMatrixRMaj secondMoment, long seed) {
        String name = w.name();
        int m = w.rows();
        int n = w.cols();
        RankRule rule = settings.ruleFor(name);
        DType dtype = factorType(w.dtype());
        long before = w.byteSize();
        boolean exact = switch (settings.solver()) {
            case FULL -> true;
            case RANDOMIZED -> rule.needsSpectrum();
            case AUTO -> rule.needsSpectrum() || Math.min(m, n) < 512
                    || 4 * rule.rank(m, n, null) >= Math.min(m, n);
        };
        if (!rule.needsSpectrum()) {
            int r = rule.rank(m, n, null);
            if (factorBytes(dtype, r, m, n) >= before) {
                return skip(name, m, n, r, before, dtype);
            }
        }
        DMatrixRMaj wd = TensorMatrices.toMatrix(w);
        Whitening white = settings.method() == Method.ACTIVATION_AWARE
                ? Whitening.of(secondMoment, settings.damping()) : null;
        DMatrixRMaj target = white == null ? wd : white.whiten(wd);
        Svd svd;
        int r;
        if (exact) {
            svd = Svd.full(target);
            r = rule.rank(m, n, svd.s());
            if (factorBytes(dtype, r, m, n) >= before) {
                return skip(name, m, n, r, before, dtype);
            }
        } else {
            r = rule.rank(m, n, null);
            svd = Svd.randomized(target, r, new SplittableRandom(seed));
        }
        Svd.Factors f = svd.sqrtSplit(r);
        DMatrixRMaj b = white == null ? f.b() : white.unwhiten(f.b());
        Tensor ta = TensorMatrices.toTensor(name + LowRankOperatorProvider.SUFFIX_A, f.a(), dtype);
        Tensor tb = TensorMatrices.toTensor(name + LowRankOperatorProvider.SUFFIX_B, b, dtype);
        DMatrixRMaj e = Errors.residual(wd, TensorMatrices.toMatrix(ta), TensorMatrices.toMatrix(tb));
        double rel = Errors.relativeFrobenius(wd, e);
        double act = secondMoment == null ? Double.NaN : Errors.activationWeighted(wd, e, secondMoment);
        return new Outcome(name, m, n, r, before, ta.byteSize() + tb.byteSize(), ta, tb, rel, act, null);
    }

    /** The factors' dtype: the setting, else the source's float type, else F32 (for block-quantized sources). */
    DType factorType(DType source) {
        if (settings.dtype() != null) {
            return settings.dtype();
        }
        return source.isFloat() ? source : DType.F32;
    }

    private static long factorBytes(DType dtype, int r, int m, int n) {
        return dtype.byteSize((long) r * (m + n));
    }

    private static Outcome skip(String name, int m, int n, int r, long before, DType dtype) {
        long after = factorBytes(dtype, r, m, n);
        return new Outcome(name, m, n, r, before, before, null, null, 0, 0,
                "rank " + r + " factors (" + after + " bytes) would not be smaller than the " + m + "×" + n
                        + " matrix (" + before + " bytes)");
    }
}
