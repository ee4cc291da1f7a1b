package dev.rwkvedge.operators;

import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

/** Operator {@code dense}: one matrix of any dtype, multiplied by the backend. */
public record DenseLinear(Tensor weight) implements LinearOperator {
    @Override
    public int rows() {
        return weight.rows();
    }

    @Override
    public int cols() {
        return weight.cols();
    }

    @Override
    public void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch) {
        backend.matmul(weight, x, xOff, out, outOff, n);
    }

    @Override
    public long bytesPerToken() {
        return weight.byteSizeWithScale();
    }

    @Override
    public String kind() {
        return "dense";
    }

    /** The whole matrix is read for every token. */
    @Override
    public Footprint footprint() {
        return Footprint.resident(weight);
    }
}
