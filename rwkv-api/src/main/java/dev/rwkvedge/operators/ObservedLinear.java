package dev.rwkvedge.operators;

import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;

/** Wraps an operator to report its inputs and outputs to an {@link ActivationObserver} (calibration runs only). */
public record ObservedLinear(String name, LinearOperator inner, ActivationObserver observer) implements LinearOperator {
    @Override
    public int rows() {
        return inner.rows();
    }

    @Override
    public int cols() {
        return inner.cols();
    }

    @Override
    public int scratchPerToken() {
        return inner.scratchPerToken();
    }

    @Override
    public void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch) {
        inner.apply(backend, x, xOff, out, outOff, n, scratch);
        observer.observe(name, x, xOff, inner.cols(), out, outOff, inner.rows(), n);
    }

    @Override
    public long bytesPerToken() {
        return inner.bytesPerToken();
    }

    @Override
    public String kind() {
        return inner.kind();
    }

    @Override
    public Footprint footprint() {
        return inner.footprint();
    }
}
