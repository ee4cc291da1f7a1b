package dev.rwkvedge.testing;

import dev.rwkvedge.json.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * rwkv.cpp's reference outputs for the tiny models ({@code reference/rwkv-cpp/manifest.json}): per model and
 * prompt, the logits after every token and the states after the first and the last token.
 */
public final class RwkvCppReference {
    /** One model's reference data. */
    public record Model(String modelFile, Path modelPath, int nVocab, int stateLen, List<Prompt> prompts,
                        int[] greedyPrompt, int[] greedyBytes) {
        /** The weight type from the file name: FP32, FP16, Q5_0 or Q5_1. */
        public String dataType() {
            String base = modelFile.replace(".bin", "");
            return base.substring(base.lastIndexOf('-') + 1);
        }

        @Override
        public String toString() {
            return modelFile;
        }
    }

    /** One prompt: its tokens, logits[step][vocab], and two states. */
    public record Prompt(String id, int[] tokens, float[][] logits, float[] stateAfterFirst, float[] finalState) {
    }

    private RwkvCppReference() {
    }

    @SuppressWarnings("unchecked")
    public static List<Model> load() throws IOException {
        Path dir = Fixtures.require("reference/rwkv-cpp");
        Path models = Fixtures.require("models/tiny");
        Map<String, Object> manifest = Json.parseObject(Files.readString(dir.resolve("manifest.json")));
        List<Model> out = new ArrayList<>();
        for (Object o : (List<Object>) manifest.get("models")) {
            Map<String, Object> m = (Map<String, Object>) o;
            String modelFile = (String) m.get("model_file");
            ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(dir.resolve((String) m.get("data_file"))))
                    .order(ByteOrder.LITTLE_ENDIAN);
            int nVocab = ((Number) m.get("n_vocab")).intValue();
            int stateLen = ((Number) m.get("state_len")).intValue();
            List<Prompt> prompts = new ArrayList<>();
            for (Object po : (List<Object>) m.get("prompts")) {
                Map<String, Object> p = (Map<String, Object>) po;
                int[] tokens = ints((List<Object>) p.get("bytes"));
                Map<String, Object> lg = (Map<String, Object>) p.get("logits");
                float[] flat = floats(data, lg, tokens.length * nVocab);
                float[][] logits = new float[tokens.length][nVocab];
                for (int t = 0; t < tokens.length; t++) {
                    System.arraycopy(flat, t * nVocab, logits[t], 0, nVocab);
                }
                prompts.add(new Prompt((String) p.get("id"), tokens, logits,
                        floats(data, (Map<String, Object>) p.get("state_after_first"), stateLen),
                        floats(data, (Map<String, Object>) p.get("final_state"), stateLen)));
            }
            Map<String, Object> greedy = (Map<String, Object>) m.get("greedy");
            out.add(new Model(modelFile, models.resolve(modelFile), nVocab, stateLen, prompts,
                    ints((List<Object>) greedy.get("prompt_bytes")), ints((List<Object>) greedy.get("bytes"))));
        }
        return out;
    }

    private static int[] ints(List<Object> l) {
        return l.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
    }

    private static float[] floats(ByteBuffer data, Map<String, Object> section, int count) {
        long offset = ((Number) section.get("offset")).longValue();
        float[] out = new float[count];
        data.slice(Math.toIntExact(offset), count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** rwkv.cpp's own test vector {@code reference/rwkv-cpp-tests/expected-logits-<tag>.bin} (256 floats). */
    public static float[] expectedLogits(String tag) throws IOException {
        Path p = Fixtures.require("reference/rwkv-cpp-tests/expected-logits-" + tag + ".bin");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
