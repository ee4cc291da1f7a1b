package dev.rwkvedge.compress.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.decomposition.TriangularSolver_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;

/**
 * Truncation-aware data whitening of SVD-LLM (Wang, Zheng, Wan, Zhang, "SVD-LLM: Truncation-aware Singular Value
 * Decomposition for Large Language Model Compression", arXiv 2403.07378, 2024, §3.1, Algorithm 1).
 *
 * <p>With the calibration inputs as rows of X, the layer error on them is {@code ‖(W − W')Xᵀ‖_F}. Taking the
 * Cholesky factor {@code S} of the second-moment matrix, {@code XᵀX = S·Sᵀ}, this equals {@code ‖(W − W')·S‖_F};
 * so truncating the SVD of {@code W·S = U Σ Vᵀ} to rank r and mapping back,
 * {@code W' = U_r Σ_r V_rᵀ S⁻¹}, is the best rank-r approximation for those inputs, and each dropped singular
 * value is exactly the error it adds (SVD-LLM Theorem 3.2). Factors keep RWKV-Lite's even split:
 * {@code A = U_r Σ_r^½}, {@code B = Σ_r^½ V_rᵀ S⁻¹}.
 *
 * <p>{@code XᵀX} is singular when a channel never varies over the calibration text (or there are fewer tokens than
 * channels); SVD-LLM then adds a small positive diagonal. We always add {@code λ·mean(diag(XᵀX))·I}: a relative
 * damping λ (parameter {@code damping}) that also keeps directions the calibration text never exercised from being
 * discarded outright, so λ trades fit to the calibration text against plain SVD (λ → ∞ is plain SVD).
 */
final class Whitening {
    private final DMatrixRMaj s;
    private final DMatrixRMaj sInv;

    private Whitening(DMatrixRMaj s, DMatrixRMaj sInv) {
        this.s = s;
        this.sInv = sInv;
    }

    /**
     * @param secondMoment {@code n × n} matrix XᵀX (not modified)
     * @param damping      relative damping λ ≥ 0
     */
    static Whitening of(DMatrixRMaj secondMoment, double damping) {
        int n = secondMoment.numRows;
        DMatrixRMaj c = secondMoment.copy();
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += c.unsafe_get(i, i);
        }
        mean /= n;
        if (!(mean > 0)) {
            mean = 1;
        }
        double lambda = damping * mean;
        for (int attempt = 0; attempt < 8; attempt++) {
            DMatrixRMaj d = c.copy();
            for (int i = 0; i < n; i++) {
                d.unsafe_set(i, i, d.unsafe_get(i, i) + lambda);
            }
            CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(n, true);
            if (chol.decompose(d)) {
                DMatrixRMaj l = chol.getT(null);
                DMatrixRMaj inv = l.copy();
                TriangularSolver_DDRM.invertLower(inv.data, n);
                return new Whitening(l, inv);
            }
            lambda = Math.max(lambda * 10, 1e-10 * mean);
        }
        throw new ArithmeticException("second-moment matrix is not positive definite even with damping");
    }

    /** {@code W·S}. */
    DMatrixRMaj whiten(DMatrixRMaj w) {
        return CommonOps_DDRM.mult(w, s, null);
    }

    /** {@code B·S⁻¹}. */
    DMatrixRMaj unwhiten(DMatrixRMaj b) {
        return CommonOps_DDRM.mult(b, sInv, null);
    }
}
