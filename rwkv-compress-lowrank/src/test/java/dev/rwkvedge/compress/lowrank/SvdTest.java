package dev.rwkvedge.compress.lowrank;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvdTest {
    /** A matrix with a decaying spectrum, like trained projections: U diag(σ) Vᵀ + small noise. */
    static DMatrixRMaj decaying(int m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DMatrixRMaj w = new DMatrixRMaj(m, n);
        int k = Math.min(m, n);
        for (int j = 0; j < k; j++) {
            double s = Math.pow(0.93, j);
            double[] u = gaussian(r, m);
            double[] v = gaussian(r, n);
            for (int a = 0; a < m; a++) {
                for (int b = 0; b < n; b++) {
                    w.data[a * n + b] += s * u[a] * v[b] / Math.sqrt(m * n);
                }
            }
        }
        return w;
    }

    static double[] gaussian(SplittableRandom r, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = r.nextGaussian();
        }
        return g;
    }

    /** Inputs with very unequal channel scales and correlations, so whitening matters. */
    static DMatrixRMaj inputs(int tokens, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        DMatrixRMaj mix = new DMatrixRMaj(n, n);
        for (int i = 0; i < mix.data.length; i++) {
            mix.data[i] = r.nextGaussian();
        }
        DMatrixRMaj z = new DMatrixRMaj(tokens, n);
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < n; i++) {
                z.data[t * n + i] = r.nextGaussian() * (i < 4 ? 10 : 0.3);
            }
        }
        return CommonOps_DDRM.mult(z, mix, null);
    }

    static double frobenius(DMatrixRMaj w, Svd.Factors f) {
        return Errors.relativeFrobenius(w, Errors.residual(w, f.a(), f.b()));
    }

    @Test
    void fullRankReconstructsExactly() {
        DMatrixRMaj w = decaying(40, 30, 1);
        Svd svd = Svd.full(w);
        assertEquals(30, svd.k());
        assertTrue(frobenius(w, svd.sqrtSplit(30)) < 1e-13);
        DMatrixRMaj x = inputs(200, 30, 2);
        Whitening white = Whitening.of(CommonOps_DDRM.multTransA(x, x, null), 0.01);
        Svd.Factors f = Svd.full(white.whiten(w)).sqrtSplit(30);
        Svd.Factors back = new Svd.Factors(f.a(), white.unwhiten(f.b()));
        assertTrue(frobenius(w, back) < 1e-10, "whitened full rank: " + frobenius(w, back));
    }

    @Test
    void sqrtSplitGivesBothFactorsTheSameScale() {
        DMatrixRMaj w = decaying(20, 30, 3);
        Svd.Factors f = Svd.full(w).sqrtSplit(5);
        for (int j = 0; j < 5; j++) {
            double colA = 0;
            double rowB = 0;
            for (int i = 0; i < 20; i++) {
                colA += f.a().get(i, j) * f.a().get(i, j);
            }
            for (int i = 0; i < 30; i++) {
                rowB += f.b().get(j, i) * f.b().get(j, i);
            }
            assertEquals(colA, rowB, 1e-12, "column " + j + " of A and row of B carry √σ each");
        }
    }

    @Test
    void errorFallsWithRankAsEckartYoungSays() {
        DMatrixRMaj w = decaying(48, 32, 4);
        Svd svd = Svd.full(w);
        double total = 0;
        for (double s : svd.s()) {
            total += s * s;
        }
        double previous = Double.POSITIVE_INFINITY;
        for (int r = 1; r <= 32; r++) {
            double e = frobenius(w, svd.sqrtSplit(r));
            double tail = 0;
            for (int i = r; i < svd.k(); i++) {
                tail += svd.s()[i] * svd.s()[i];
            }
            assertEquals(Math.sqrt(tail / total), e, 1e-9, "rank " + r);
            assertTrue(e < previous || e < 1e-12, "rank " + r + ": " + e + " not below " + previous);
            previous = e;
        }
    }

    @Test
    void activationAwareBeatsPlainOnTheCalibrationInputsAtEveryRank() {
        DMatrixRMaj w = decaying(32, 32, 5);
        DMatrixRMaj x = inputs(500, 32, 6);
        DMatrixRMaj c = CommonOps_DDRM.multTransA(x, x, null);
        Whitening white = Whitening.of(c, 0);
        Svd plain = Svd.full(w);
        Svd whitened = Svd.full(white.whiten(w));
        double previous = Double.POSITIVE_INFINITY;
        for (int r = 1; r < 32; r++) {
            Svd.Factors p = plain.sqrtSplit(r);
            Svd.Factors a = whitened.sqrtSplit(r);
            double ep = Errors.activationWeighted(w, Errors.residual(w, p.a(), p.b()), c);
            double ea = Errors.activationWeighted(w, Errors.residual(w, a.a(), white.unwhiten(a.b())), c);
            assertTrue(ea <= ep + 1e-12, "rank " + r + ": activation-aware " + ea + " > svd " + ep);
            assertTrue(ea <= previous + 1e-12, "rank " + r + ": error rose to " + ea);
            previous = ea;
        }
        assertTrue(previous < 0.2);
    }

    @Test
    void activationErrorEqualsDirectComputation() {
        DMatrixRMaj w = decaying(12, 10, 7);
        DMatrixRMaj x = inputs(50, 10, 8);
        Svd.Factors f = Svd.full(w).sqrtSplit(3);
        DMatrixRMaj e = Errors.residual(w, f.a(), f.b());
        double direct = org.ejml.dense.row.NormOps_DDRM.normF(CommonOps_DDRM.multTransB(e, x, null))
                / org.ejml.dense.row.NormOps_DDRM.normF(CommonOps_DDRM.multTransB(w, x, null));
        assertEquals(direct, Errors.activationWeighted(w, e, CommonOps_DDRM.multTransA(x, x, null)), 1e-12);
    }

    @Test
    void randomizedIsCloseToOptimal() {
        DMatrixRMaj w = decaying(600, 520, 9);
        int r = 64;
        double exact = frobenius(w, Svd.full(w).sqrtSplit(r));
        Svd fast = Svd.randomized(w, r, new SplittableRandom(1));
        assertEquals(r, fast.k());
        double approx = frobenius(w, fast.sqrtSplit(r));
        assertTrue(approx >= exact - 1e-12 && approx < exact * 1.02, "randomized " + approx + " vs exact " + exact);
    }
}
