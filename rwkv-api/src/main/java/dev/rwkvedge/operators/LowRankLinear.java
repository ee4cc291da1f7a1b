package dev.rwkvedge.operators;

import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/**
 * Operator {@code lowrank}: {@code W ≈ A·B} with A ({@code out × r}) and B ({@code r × in}) of any dense dtype,
 * computed as two products {@code A·(B·x)} without ever forming W, so it reads {@code r·(in + out)} weights per token
 * instead of {@code in·out}.
 */
public record LowRankLinear(Tensor a, Tensor b) implements LinearOperator {
    public LowRankLinear {
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("low-rank factors " + a + " and " + b + " do not chain: A has "
                    + a.cols() + " columns, B has " + b.rows() + " rows");
        }
    }

    public int rank() {
        return b.rows();
    }

    @Override
    public int rows() {
        return a.rows();
    }

    @Override
    public int cols() {
        return b.cols();
    }

    @Override
    public int scratchPerToken() {
        return rank();
    }

    @Override
    public void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch) {
        backend.matmul(b, x, xOff, scratch, 0, n);
        backend.matmul(a, scratch, 0, out, outOff, n);
    }

    @Override
    public long bytesPerToken() {
        return a.byteSizeWithScale() + b.byteSizeWithScale();
    }

    @Override
    public String kind() {
        return "lowrank";
    }

    /** Both factors are read for every token. */
    @Override
    public Footprint footprint() {
        return Footprint.resident(a, b);
    }
}
