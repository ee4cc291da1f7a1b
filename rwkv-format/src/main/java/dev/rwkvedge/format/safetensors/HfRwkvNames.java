package dev.rwkvedge.format.safetensors;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.json.JsonException;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face transformers' RWKV-4 naming ({@code RwkvForCausalLM}) mapped back to BlinkDL's, the inverse of
 * {@code convert_rwkv_checkpoint_to_hf.py}'s {@code convert_state_dict}, which only renames:
 * <pre>
 *  rwkv.embeddings.weight                  ← emb.weight
 *  rwkv.blocks.0.pre_ln.*                  ← blocks.0.ln0.*
 *  rwkv.blocks.N.attention.X               ← blocks.N.att.X     (time_mix_key|value|receptance ← time_mix_k|v|r)
 *  rwkv.blocks.N.feed_forward.X            ← blocks.N.ffn.X
 *  rwkv.blocks.N.ln1|ln2.*, rwkv.ln_out.*  ← the same without "rwkv."
 *  head.weight                             ← head.weight
 * </pre>
 * Values are untouched (transformers keeps the raw {@code time_decay} and applies {@code −exp} at run time), so
 * the result goes through the ordinary BlinkDL conversion. The {@code config.json} beside the weights, when
 * present, is checked against the shapes (hidden_size, num_hidden_layers, vocab_size, attention_hidden_size,
 * intermediate_size) so that a mismatched pair is reported rather than run.
 */
public final class HfRwkvNames {
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(attention|feed_forward|pre_ln)\\.(.+)");
    private static final Map<String, String> MIX = Map.of("time_mix_key", "time_mix_k", "time_mix_value", "time_mix_v",
            "time_mix_receptance", "time_mix_r", "time_mix_gate", "time_mix_g");

    private HfRwkvNames() {
    }

    /** Whether the names are transformers' RWKV naming. */
    public static boolean isHuggingFace(Iterable<String> names) {
        for (String n : names) {
            if (n.equals("rwkv.embeddings.weight")) {
                return true;
            }
        }
        return false;
    }

    /** The BlinkDL name of a transformers name. */
    public static String toBlinkDl(String hf) {
        if (!hf.startsWith("rwkv.")) {
            return hf;
        }
        String n = hf.substring("rwkv.".length());
        if (n.startsWith("embeddings.")) {
            return "emb." + n.substring("embeddings.".length());
        }
        Matcher m = BLOCK.matcher(n);
        if (!m.matches()) {
            return n;
        }
        String part = switch (m.group(2)) {
            case "attention" -> "att";
            case "feed_forward" -> "ffn";
            default -> "ln0";
        };
        String rest = m.group(3);
        int dot = rest.indexOf('.');
        String head = dot < 0 ? rest : rest.substring(0, dot);
        rest = MIX.getOrDefault(head, head) + (dot < 0 ? "" : rest.substring(dot));
        return "blocks." + m.group(1) + "." + part + "." + rest;
    }

    /** Renames every tensor, keeping the order. */
    public static Map<String, Tensor> toBlinkDl(Map<String, Tensor> hf) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : hf.entrySet()) {
            String n = toBlinkDl(e.getKey());
            out.put(n, e.getValue().renamed(n));
        }
        return out;
    }

    /**
     * Checks {@code config.json} in the folder of {@code weightsFile}, if there is one, against BlinkDL-named
     * tensors.
     *
     * @throws WeightFormatException naming config.json and the first field that disagrees
     */
    public static void checkConfig(Path weightsFile, Map<String, Tensor> blinkDl) throws IOException {
        Path folder = weightsFile.toAbsolutePath().getParent();
        Path config = folder == null ? null : folder.resolve("config.json");
        if (config == null || !Files.isRegularFile(config)) {
            return;
        }
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(config));
        } catch (JsonException e) {
            throw new WeightFormatException(config, "not valid JSON: " + e.getMessage());
        }
        Tensor emb = blinkDl.get("emb.weight");
        if (emb == null || emb.rank() != 2) {
            throw new WeightFormatException(weightsFile, "rwkv.embeddings.weight", -1, "missing or not 2-D");
        }
        int layers = 0;
        while (blinkDl.containsKey("blocks." + layers + ".ln1.weight")) {
            layers++;
        }
        check(config, json, "hidden_size", emb.dim(1), weightsFile);
        check(config, json, "vocab_size", emb.dim(0), weightsFile);
        check(config, json, "num_hidden_layers", layers, weightsFile);
        Tensor decay = blinkDl.get("blocks.0.att.time_decay");
        if (decay != null) {
            check(config, json, "attention_hidden_size", decay.elementCount(), weightsFile);
        }
        Tensor ffnKey = blinkDl.get("blocks.0.ffn.key.weight");
        if (ffnKey != null && ffnKey.rank() == 2) {
            check(config, json, "intermediate_size", ffnKey.dim(0), weightsFile);
        }
    }

    private static void check(Path config, Map<String, Object> json, String field, long actual, Path weights) {
        Object v = json.get(field);
        if (v == null) {
            return;
        }
        if (!(v instanceof Long expected) || expected != actual) {
            throw new WeightFormatException(config, field + " is " + v + " but " + weights.getFileName()
                    + " has " + actual + ": config.json does not belong to these weights");
        }
    }
}
