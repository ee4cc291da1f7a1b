package dev.rwkvedge.compress.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;

/**
 * How far a factorisation is from the matrix it replaces: relative Frobenius error {@code ‖W − AB‖_F / ‖W‖_F},
 * and the error on the calibration inputs {@code ‖(W − AB)Xᵀ‖_F / ‖W Xᵀ‖_F}, computed from the second moments as
 * {@code √(tr(E C Eᵀ) / tr(W C Wᵀ))} with {@code C = XᵀX}, so the inputs need not be kept.
 */
final class Errors {
    private Errors() {
    }

    /** {@code W − A·B}. */
    static DMatrixRMaj residual(DMatrixRMaj w, DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj e = w.copy();
        CommonOps_DDRM.multAdd(-1, a, b, e);
        return e;
    }

    static double relativeFrobenius(DMatrixRMaj w, DMatrixRMaj residual) {
        double n = NormOps_DDRM.normF(w);
        return n == 0 ? 0 : NormOps_DDRM.normF(residual) / n;
    }

    /** @param secondMoment XᵀX of the calibration inputs */
    static double activationWeighted(DMatrixRMaj w, DMatrixRMaj residual, DMatrixRMaj secondMoment) {
        double den = quadratic(w, secondMoment);
        return den <= 0 ? 0 : Math.sqrt(Math.max(0, quadratic(residual, secondMoment)) / den);
    }

    /** {@code tr(M C Mᵀ) = Σ (M C) ⊙ M}. */
    private static double quadratic(DMatrixRMaj m, DMatrixRMaj c) {
        DMatrixRMaj mc = CommonOps_DDRM.mult(m, c, null);
        double sum = 0;
        for (int i = 0; i < mc.data.length; i++) {
            sum += mc.data[i] * m.data[i];
        }
        return sum;
    }
}
