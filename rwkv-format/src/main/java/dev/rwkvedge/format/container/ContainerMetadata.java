package dev.rwkvedge.format.container;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.json.JsonException;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code __metadata__} of an rwkv-edge container (DESIGN.md §4, §6). safetensors metadata maps strings to
 * strings, so structured entries are JSON documents stored as strings:
 * <pre>
 *  "format":         "rwkv-edge"                       (always the first key: the probe reads it from the file head)
 *  "format_version": "1"
 *  "config":         {"version":"v5.2","n_layer":12,"n_embd":64,"n_vocab":256,"head_size":8,"n_head":8,"ffn":256}
 *  "operators":      {"embedding":"dense","head":"dense","layers":[{"att.key":"dense",…,"ffn.value":"dense"},…]}
 *  "manifest":       {"producer":{"name":"rwkv-edge","version":"…"},"source":{"format":"pth","file":"…"},"steps":[…]}
 *  any other key:    copied from the source weights' metadata ({@link ModelWeights#metadata()})
 * </pre>
 * In {@link ModelWeights#metadata()} of a container that was read, the structured entries appear as
 * {@code rwkv-edge.format_version}, {@code rwkv-edge.config}, {@code rwkv-edge.operators} and
 * {@code rwkv-edge.manifest}; when such weights are written again, their operator map and compressor steps are
 * kept (compressors record theirs there) and the config is recomputed from the tensors.
 */
final class ContainerMetadata {
    static final String FORMAT = "rwkv-edge";
    static final int FORMAT_VERSION = 1;
    static final String PREFIX = "rwkv-edge.";
    private static final List<String> RESERVED = List.of("format", "format_version", "config", "operators", "manifest");
    private static final Pattern PROJECTION = Pattern.compile("blocks\\.(\\d+)\\.((?:att|ffn)\\.[a-z_]+)\\.weight");

    private ContainerMetadata() {
    }

    /** The metadata to write for {@code w}. */
    static Map<String, String> forWrite(ModelWeights w, String producerVersion, Path target) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("format_version", Integer.toString(FORMAT_VERSION));
        m.put("config", config(w, target));
        m.put("operators", w.metadata().containsKey(PREFIX + "operators")
                ? object(target, "operators", w.metadata().get(PREFIX + "operators")) : denseOperators(w));
        m.put("manifest", manifest(w, producerVersion, target));
        for (Map.Entry<String, String> e : w.metadata().entrySet()) {
            if (!e.getKey().startsWith(PREFIX) && !RESERVED.contains(e.getKey())) {
                m.put(e.getKey(), e.getValue());
            }
        }
        return m;
    }

    private static String config(ModelWeights w, Path target) {
        ModelConfig c;
        try {
            c = ModelConfig.of(w);
        } catch (RuntimeException e) {
            String kept = w.metadata().get(PREFIX + "config");
            if (kept != null) {
                return object(target, "config", kept);
            }
            throw e;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", c.version().id());
        m.put("n_layer", c.nLayer());
        m.put("n_embd", c.nEmbd());
        m.put("n_vocab", c.nVocab());
        m.put("head_size", c.headSize());
        m.put("n_head", c.nHead());
        m.put("ffn", c.ffnDim());
        return Json.write(m);
    }

    /** Every projection matrix of every layer, plus embedding and head, as a {@code dense} operator. */
    private static String denseOperators(ModelWeights w) {
        List<Map<String, Object>> layers = new ArrayList<>();
        for (Tensor t : w.tensors()) {
            Matcher m = PROJECTION.matcher(t.name());
            if (m.matches() && t.rank() == 2) {
                int layer = Integer.parseInt(m.group(1));
                while (layers.size() <= layer) {
                    layers.add(new LinkedHashMap<>());
                }
                layers.get(layer).put(m.group(2), "dense");
            }
        }
        Map<String, Object> ops = new LinkedHashMap<>();
        ops.put("embedding", "dense");
        ops.put("head", "dense");
        ops.put("layers", layers);
        return Json.write(ops);
    }

    private static String manifest(ModelWeights w, String producerVersion, Path target) {
        List<Object> steps = new ArrayList<>();
        String kept = w.metadata().get(PREFIX + "manifest");
        if (kept != null && Json.parseObject(object(target, "manifest", kept)).get("steps") instanceof List<?> l) {
            steps.addAll(l);
        }
        Map<String, Object> producer = new LinkedHashMap<>();
        producer.put("name", "rwkv-edge");
        producer.put("version", producerVersion);
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("format", w.format());
        source.put("file", w.source() == null ? null : String.valueOf(w.source().getFileName()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("producer", producer);
        m.put("source", source);
        m.put("steps", steps);
        return Json.write(m);
    }

    /** Checks that a string is a JSON object and returns it unchanged. */
    private static String object(Path file, String key, String json) {
        try {
            Json.parseObject(json);
            return json;
        } catch (JsonException e) {
            throw new WeightFormatException(file, "__metadata__", -1, "\"" + key + "\" is not a JSON object: "
                    + e.getMessage());
        }
    }

    /**
     * Checks the metadata of a container being read and copies it into {@code b}.
     *
     * @throws WeightFormatException naming the file and the entry that is missing, malformed or disagrees with
     *                               the tensors
     */
    static void read(Path path, Map<String, String> meta, Map<String, Tensor> tensors, ModelWeights.Builder b) {
        String version = meta.get("format_version");
        int v;
        try {
            v = Integer.parseInt(version == null ? "" : version);
        } catch (NumberFormatException e) {
            throw new WeightFormatException(path, "__metadata__", 8, "format_version \"" + version
                    + "\" is missing or not a number");
        }
        if (v < 1 || v > FORMAT_VERSION) {
            throw new WeightFormatException(path, "__metadata__", 8, "container format version " + v + " is not "
                    + "supported (this rwkv-edge reads version " + FORMAT_VERSION + "); use a newer rwkv-edge");
        }
        for (String key : RESERVED.subList(2, RESERVED.size())) {
            if (!meta.containsKey(key)) {
                throw new WeightFormatException(path, "__metadata__", 8, "\"" + key + "\" is missing");
            }
            object(path, key, meta.get(key));
        }
        checkConfig(path, Json.parseObject(meta.get("config")), tensors);
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().equals("format")) {
                continue;
            }
            b.metadata(RESERVED.contains(e.getKey()) ? PREFIX + e.getKey() : e.getKey(), e.getValue());
        }
    }

    /** The config's architecture and sizes must be those of the tensors. */
    private static void checkConfig(Path path, Map<String, Object> config, Map<String, Tensor> tensors) {
        Tensor emb = tensors.get("emb.weight");
        if (emb == null || emb.rank() != 2) {
            throw new WeightFormatException(path, "emb.weight", -1, "missing or not 2-D");
        }
        int layers = 0;
        while (tensors.containsKey("blocks." + layers + ".ln1.weight")) {
            layers++;
        }
        Set<String> names = tensors.keySet();
        expect(path, config, "version", RwkvVersion.detect(names).id());
        expect(path, config, "n_layer", (long) layers);
        expect(path, config, "n_embd", emb.dim(1));
        expect(path, config, "n_vocab", emb.dim(0));
    }

    private static void expect(Path path, Map<String, Object> config, String key, Object actual) {
        Object v = config.get(key);
        if (!actual.equals(v)) {
            throw new WeightFormatException(path, "__metadata__", 8, "config " + key + " is " + v
                    + " but the tensors say " + actual + ": inconsistent container");
        }
    }
}
