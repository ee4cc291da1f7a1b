package dev.rwkvedge.model;

import dev.rwkvedge.registry.Operators;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;

/**
 * Architecture and dimensions of a model, derived from its canonical tensors as rwkv.cpp does: the version
 * from tensor names ({@link RwkvVersion#detect}), the sizes from shapes.
 *
 * @param headSize   S, channels per head (v5+); for v4 equal to 1 (the WKV is per channel)
 * @param nHead      H = C / S (v5+); for v4 equal to C
 * @param layerNormEps    epsilon of every LayerNorm (1e-5)
 * @param groupNormEps    epsilon of the time-mix output GroupNorm: 1e-5 for v5.x (as rwkv.cpp), 64e-5 for v6/v7
 */
public record ModelConfig(RwkvVersion version, int nLayer, int nEmbd, int nVocab, int ffnDim, int headSize,
                          int nHead, float layerNormEps, float groupNormEps) {

    /** Metadata key that overrides {@link #groupNormEps} (e.g. for models made for current ChatRWKV's 64e-5). */
    public static final String GROUP_NORM_EPS_KEY = "rwkv.group_norm_eps";

    /**
     * Metadata key giving the FFN width when {@code blocks.0.ffn.key.weight} is absent because an operator
     * (e.g. {@code predicted-sparse}) replaced the dense channel mix.
     */
    public static final String FFN_DIM_KEY = "rwkv.ffn_dim";

    /**
     * @throws WeightFormatException if tensors needed to read the dimensions are missing or inconsistent
     */
    public static ModelConfig of(ModelWeights w) {
        RwkvVersion version = RwkvVersion.detect(w.names());
        Tensor emb = w.get("emb.weight");
        if (emb.rank() != 2) {
            throw new WeightFormatException(w.source(), "emb.weight", -1,
                    "must be 2-D (vocab, embd), has shape " + Arrays.toString(emb.shape()));
        }
        int nVocab = dim(w, emb, 0);
        int nEmbd = dim(w, emb, 1);
        int nLayer = 0;
        while (w.contains("blocks." + nLayer + ".ln1.weight")) {
            nLayer++;
        }
        if (nLayer == 0) {
            throw new WeightFormatException(w.source(), "blocks.0.ln1.weight", -1, "missing: the file has no RWKV blocks");
        }
        int ffnDim = ffnDim(w);
        int nHead;
        switch (version) {
            case V4 -> nHead = nEmbd;
            case V7 -> {
                Tensor rk = w.get("blocks.0.att.r_k");
                nHead = rk.rank() == 1 ? 1 : dim(w, rk, 0);
            }
            default -> {
                // time_decay is (H,1,1) for v5.1 and (H,S,1) for v5.2/v6; flat BlinkDL forms are normalised by readers.
                Tensor td = w.get("blocks.0.att.time_decay");
                nHead = dim(w, td, 0);
            }
        }
        if (nHead <= 0 || nEmbd % nHead != 0) {
            throw new WeightFormatException(w.source(), "blocks.0.att", -1,
                    "head count " + nHead + " does not divide n_embd " + nEmbd);
        }
        int headSize = version == RwkvVersion.V4 ? 1 : nEmbd / nHead;
        float gnEps = switch (version) {
            case V4, V5_1, V5_2 -> 1e-5f;
            case V6, V7 -> 64e-5f;
        };
        String override = w.metadata().get(GROUP_NORM_EPS_KEY);
        if (override != null) {
            try {
                gnEps = Float.parseFloat(override);
            } catch (NumberFormatException e) {
                throw new WeightFormatException(w.source(), "metadata " + GROUP_NORM_EPS_KEY + " \"" + override
                        + "\" is not a number");
            }
        }
        return new ModelConfig(version, nLayer, nEmbd, nVocab, ffnDim, headSize, nHead, 1e-5f, gnEps);
    }

    /**
     * Dimension {@code i} of {@code t} as an int. A file can declare a dimension beyond {@code int} (or a tensor of
     * lower rank) without holding any data for it, e.g. shape (0, 3·10⁹); that is a corrupt file, not a model.
     */
    private static int dim(ModelWeights w, Tensor t, int i) {
        if (i >= t.rank()) {
            throw new WeightFormatException(w.source(), t.name(), -1, "has shape " + Arrays.toString(t.shape())
                    + ", needs at least " + (i + 1) + " dimensions");
        }
        if (t.dim(i) > Integer.MAX_VALUE) {
            throw new WeightFormatException(w.source(), t.name(), -1, "dimension " + t.dim(i) + " of shape "
                    + Arrays.toString(t.shape()) + " is beyond what a model can have: corrupt file");
        }
        return (int) t.dim(i);
    }

    /** From the dense key's shape, else {@link #FFN_DIM_KEY}, else the operator that stores the key. */
    private static int ffnDim(ModelWeights w) {
        String key = "blocks.0.ffn.key.weight";
        String meta = w.metadata().get(FFN_DIM_KEY);
        if (w.contains(key)) {
            return dim(w, w.get(key), 0);
        }
        if (meta == null) {
            // Through the operator vocabulary, so a factorised ffn.key (lowrank, RWKV-Lite) still gives the width.
            return Operators.outputSize(w, key);
        }
        try {
            return Integer.parseInt(meta.trim());
        } catch (NumberFormatException e) {
            throw new WeightFormatException(w.source(), key, -1, "metadata " + FFN_DIM_KEY + " is '" + meta
                    + "', expected a whole number");
        }
    }

    /** Floats of state per layer: 5·C for v4, (2 + S)·C otherwise (rwkv.cpp layout, RWKV-MATH.md §5). */
    public int stateFloatsPerLayer() {
        return version == RwkvVersion.V4 ? 5 * nEmbd : (2 + headSize) * nEmbd;
    }

    public int stateLength() {
        return nLayer * stateFloatsPerLayer();
    }
}
