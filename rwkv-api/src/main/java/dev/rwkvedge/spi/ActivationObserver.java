package dev.rwkvedge.spi;

/**
 * Sees the input and output of every linear map while a model runs (calibration for compressors: second moments
 * for activation-aware SVD, active FFN neurons for sparsity predictors, hidden states for a clustered head).
 * Buffers are only valid during the call; copy what you keep.
 */
@FunctionalInterface
public interface ActivationObserver {
    /**
     * @param name canonical name of the weight, e.g. {@code blocks.3.ffn.key.weight}
     * @param in   inputs, {@code n} tokens of {@code cols} floats from {@code inOff}
     * @param out  outputs, {@code n} tokens of {@code rows} floats from {@code outOff}
     */
    void observe(String name, float[] in, int inOff, int cols, float[] out, int outOff, int rows, int n);
}
