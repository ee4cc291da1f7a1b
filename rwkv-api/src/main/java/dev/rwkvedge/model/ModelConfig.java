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
     * @throws WeightFormatException if tensors needed to read the dimensions are missing or inconsistent
     */
    public static ModelConfig of(ModelWeights w) {
        RwkvVersion version = RwkvVersion.detect(w.names());
        Tensor emb = w.get("emb.weight");
        if (emb.rank() != 2) {
            throw new WeightFormatException(w.source(), "emb.weight", -1,
                    "must be 2-D (vocab, embd), has shape " + Arrays.toString(emb.shape()));
        }
        int nVocab = Math.toIntExact(emb.dim(0));
        int nEmbd = Math.toIntExact(emb.dim(1));
        int nLayer = 0;
        while (w.contains("blocks." + nLayer + ".ln1.weight")) {
            nLayer++;
        }
        if (nLayer == 0) {
            throw new WeightFormatException(w.source(), "blocks.0.ln1.weight", -1, "missing: the file has no RWKV blocks");
        }
        // Through the operator vocabulary, so a factorised ffn.key (lowrank, RWKV-Lite) still gives the width.
        int ffnDim = Operators.outputSize(w, "blocks.0.ffn.key.weight");
        int nHead;
        int headSize;
        switch (version) {
            case V4 -> {
                nHead = nEmbd;
                headSize = 1;
            }
            case V7 -> {
                Tensor rk = w.get("blocks.0.att.r_k");
                nHead = Math.toIntExact(rk.rank() == 1 ? 1 : rk.dim(0));
                headSize = nEmbd / nHead;
            }
            default -> {
                // time_decay is (H,1,1) for v5.1 and (H,S,1) for v5.2/v6; flat BlinkDL forms are normalised by readers.
                Tensor td = w.get("blocks.0.att.time_decay");
                nHead = Math.toIntExact(td.dim(0));
                headSize = nEmbd / nHead;
            }
        }
        if (nHead <= 0 || nEmbd % nHead != 0) {
            throw new WeightFormatException(w.source(), "blocks.0.att", -1,
                    "head count " + nHead + " does not divide n_embd " + nEmbd);
        }
        float gnEps = switch (version) {
            case V4, V5_1, V5_2 -> 1e-5f;
            case V6, V7 -> 64e-5f;
        };
        String override = w.metadata().get(GROUP_NORM_EPS_KEY);
        if (override != null) {
            gnEps = Float.parseFloat(override);
        }
        return new ModelConfig(version, nLayer, nEmbd, nVocab, ffnDim, headSize, nHead, 1e-5f, gnEps);
    }

    /** Floats of state per layer: 5·C for v4, (2 + S)·C otherwise (rwkv.cpp layout, RWKV-MATH.md §5). */
    public int stateFloatsPerLayer() {
        return version == RwkvVersion.V4 ? 5 * nEmbd : (2 + headSize) * nEmbd;
    }

    public int stateLength() {
        return nLayer * stateFloatsPerLayer();
    }
}
