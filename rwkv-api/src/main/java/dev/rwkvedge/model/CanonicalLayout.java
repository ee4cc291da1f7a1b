package dev.rwkvedge.model;

/**
 * The one tensor layout every reader produces and the engine and compressors consume: exactly what rwkv.cpp's
 * converter ({@code python/convert_pytorch_to_ggml.py}) writes, with shapes in PyTorch order (ggml's {@code ne}
 * reversed). See RWKV-MATH.md §4 and §6 and models/FIXTURES.md. Readers of other layouts (BlinkDL {@code .pth},
 * Hugging Face safetensors) convert at load time; writers of those layouts convert back.
 *
 * <h2>Names and values</h2>
 * <ul>
 *   <li>Common: {@code emb.weight (V,C)}, {@code blocks.0.ln0.weight|bias}, {@code blocks.N.ln1|ln2.weight|bias},
 *       {@code ln_out.weight|bias}, {@code head.weight (V,C)}; projections {@code blocks.N.att|ffn.*.weight} are
 *       {@code (out,in)} so that a product is {@code W @ x}.</li>
 *   <li>v4: {@code att.time_decay} stores {@code −exp(d)}; {@code att.time_first} raw.</li>
 *   <li>v5.1: {@code att.time_decay} stores {@code exp(−exp(d))} and {@code att.time_first} stores {@code exp(tf)},
 *       one value per head.</li>
 *   <li>v5.2: {@code att.time_decay} stores {@code exp(−exp(d))} per channel; {@code att.time_faaaa} raw.</li>
 *   <li>v6: {@code att.time_decay} raw per channel; {@code att.time_maa_w1 (5·D, C)},
 *       {@code att.time_maa_w2 (5, C, D)}, {@code att.time_decay_w1 (D₂, C)}, {@code att.time_decay_w2 (C, D₂)},
 *       i.e. every LoRA matrix is {@code (out,in)}.</li>
 *   <li>v7: the six token-shift vectors concatenated as {@code att.x_rwkvag (6,1,C)} in the order r, w, k, v, a, g;
 *       LoRA matrices {@code att.w1|a1|v1|g1 (D,C)} and {@code att.w2|a2|v2|g2 (C,D)}; {@code att.r_k (H,S)};
 *       layer 0 has no {@code att.v0|v1|v2}.</li>
 * </ul>
 * Small vectors are read by the engine as flat arrays, so their exact rank (e.g. {@code (C)} vs {@code (1,1,C)})
 * does not matter; their element count does.
 *
 * <h2>Extensions</h2>
 * Compressed models add tensors with suffixes ({@code .lowrank.a}, {@code .predictor.p1}, …) described by the
 * container's operator map; see DESIGN.md §4.
 */
public final class CanonicalLayout {
    private CanonicalLayout() {
    }

    /** The name of tensor {@code suffix} in block {@code layer}, e.g. {@code block(3, "att.key.weight")}. */
    public static String block(int layer, String suffix) {
        return "blocks." + layer + "." + suffix;
    }
}
