package dev.rwkvedge.operators;

/**
 * Tensor names of the {@code predicted-sparse} channel mix (DESIGN.md §4), shared by the compressor that writes them
 * and the {@link PredictedSparseOperatorProvider} that binds them. Everything is per block {@code L}, under
 * {@code blocks.L.ffn.}:
 * <ul>
 *   <li>{@code sparse.key} (F×C): the key rows, one neuron per row (the dense key's own layout);</li>
 *   <li>{@code sparse.value_t} (F×C): the value matrix transposed, so that a neuron's value column is one contiguous
 *       row too (PAPER.md §3.6, "ffn.value is column-based");</li>
 *   <li>{@code predictor.p1} (h×C), {@code predictor.p2} (F×h), {@code predictor.p2_bias} (F),
 *       {@code predictor.mlp_threshold} (1): the MLP predictor, PAPER.md §3.3;</li>
 *   <li>{@code predictor.sign} (I8, F×⌈C/8⌉ packed bits, bit i of byte b is column 8b+i),
 *       {@code predictor.sign_range} (2: min and max of the key), {@code predictor.sign_quantile} (1): the 1-bit
 *       predictor, PAPER.md §3.4;</li>
 *   <li>{@code predictor.rule} (I32, 1): 0 = OR, 1 = AND, when both predictors are present (PAPER.md §3.5).</li>
 * </ul>
 */
public final class SparseFfnTensors {
    public static final String KEY = "sparse.key";
    public static final String VALUE_T = "sparse.value_t";
    public static final String P1 = "predictor.p1";
    public static final String P2 = "predictor.p2";
    public static final String P2_BIAS = "predictor.p2_bias";
    public static final String MLP_THRESHOLD = "predictor.mlp_threshold";
    public static final String SIGN = "predictor.sign";
    public static final String SIGN_RANGE = "predictor.sign_range";
    public static final String SIGN_QUANTILE = "predictor.sign_quantile";
    public static final String RULE = "predictor.rule";

    /**
     * Metadata key of the share of key rows block {@code L} reads per token (the predicted density measured on
     * held-out calibration tokens), for the memory account: {@code sparsity.blocks.L.key_share}.
     */
    public static String keyShareMetadataKey(int layer) {
        return "sparsity.blocks." + layer + ".key_share";
    }

    /**
     * Metadata key of the share of value rows block {@code L} reads per token (neurons predicted and active):
     * {@code sparsity.blocks.L.value_share}. When absent the key share is the bound (a value row is read only for a
     * predicted neuron).
     */
    public static String valueShareMetadataKey(int layer) {
        return "sparsity.blocks." + layer + ".value_share";
    }

    /** Metadata key recording the FFN operator of block {@code L}: {@code operator.blocks.L.ffn}. */
    public static String operatorMetadataKey(int layer) {
        return "operator.blocks." + layer + ".ffn";
    }

    private SparseFfnTensors() {
    }

    /** The full name of {@code suffix} in block {@code layer}, e.g. {@code blocks.3.ffn.sparse.key}. */
    public static String name(int layer, String suffix) {
        return "blocks." + layer + ".ffn." + suffix;
    }
}
