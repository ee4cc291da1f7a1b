package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.spi.ActivationObserver;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Collects, during a calibration run, the uncentred second-moment matrix {@code XᵀX} (float64) of the inputs of
 * each selected linear map: what activation-aware SVD whitens with ({@link Whitening}) and what the
 * activation-weighted error {@code ‖(W − AB)Xᵀ‖ / ‖W Xᵀ‖} is measured with ({@link Errors}). Each chunk of n tokens
 * is one rank-n update {@code C += XₙᵀXₙ} (EJML's blocked product). Calibration runs on one thread, so this is
 * not synchronised.
 */
final class SecondMoments implements ActivationObserver {
    private final Set<String> names;
    private final Map<String, DMatrixRMaj> sums = new HashMap<>();
    private final Map<String, Long> counts = new HashMap<>();
    private DMatrixRMaj chunk = new DMatrixRMaj(1, 1);

    SecondMoments(Set<String> names) {
        this.names = Set.copyOf(names);
    }

    @Override
    public void observe(String name, float[] in, int inOff, int cols, float[] out, int outOff, int rows, int n) {
        if (!names.contains(name)) {
            return;
        }
        chunk.reshape(n, cols, false);
        double[] d = chunk.data;
        for (int i = 0; i < n * cols; i++) {
            d[i] = in[inOff + i];
        }
        DMatrixRMaj c = sums.computeIfAbsent(name, k -> new DMatrixRMaj(cols, cols));
        CommonOps_DDRM.multAddTransA(chunk, chunk, c);
        counts.merge(name, (long) n, Long::sum);
    }

    /** {@code XᵀX} of {@code name}'s inputs, or null if it was never observed. */
    DMatrixRMaj of(String name) {
        return sums.get(name);
    }

    long tokens(String name) {
        return counts.getOrDefault(name, 0L);
    }
}
