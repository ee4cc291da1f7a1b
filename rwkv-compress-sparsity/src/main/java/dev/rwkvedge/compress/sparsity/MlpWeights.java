package dev.rwkvedge.compress.sparsity;

/**
 * A trained MLP predictor {@code σ(P2·relu(P1·x) + bias)} (PAPER.md §3.3), row-major.
 *
 * @param p1   h×C
 * @param p2   F×h
 * @param bias F
 */
public record MlpWeights(float[] p1, float[] p2, float[] bias, int rank, int embd, int ffn) {
}
