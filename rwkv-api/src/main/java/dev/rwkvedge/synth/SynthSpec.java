package dev.rwkvedge.synth;

import dev.rwkvedge.model.DenseShape;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.tensor.DType;

/**
 * Shape and seed of a synthetic model.
 *
 * @param ffn      channel-mix width; 0 picks the version's usual ratio (v4/v5.1/v7: 4·C; v5.2/v6: ⌊3.5·C/32⌋·32)
 * @param headSize S for v5+; ignored for v4
 * @param dtype    F32 or F16 for the 2-D matrices (vectors stay F32, as rwkv.cpp's converter does)
 */
public record SynthSpec(RwkvVersion version, int layers, int embd, int vocab, int ffn, int headSize, DType dtype, long seed) {
    public SynthSpec {
        if (layers <= 0 || embd <= 0 || vocab <= 0) {
            throw new IllegalArgumentException("layers, embd and vocab must be positive");
        }
        if (embd % 32 != 0) {
            throw new IllegalArgumentException("embd must be a multiple of 32 (quantized rows), got " + embd);
        }
        if (version != RwkvVersion.V4 && embd % headSize != 0) {
            throw new IllegalArgumentException("embd " + embd + " is not a multiple of head size " + headSize);
        }
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new IllegalArgumentException("synthetic models are f32 or f16, got " + dtype.id());
        }
        if (ffn == 0) {
            ffn = switch (version) {
                case V5_2, V6 -> (int) (3.5 * embd) / 32 * 32;
                default -> 4 * embd;
            };
        }
        if (ffn % 32 != 0) {
            throw new IllegalArgumentException("ffn must be a multiple of 32, got " + ffn);
        }
    }

    public int heads() {
        return denseShape().heads();
    }

    /** The dimensions of the model, with RWKV-LM's LoRA widths for this width. */
    public DenseShape denseShape() {
        return new DenseShape(version, layers, embd, vocab, ffn, headSize, DenseShape.Lora.defaults(embd));
    }
}
