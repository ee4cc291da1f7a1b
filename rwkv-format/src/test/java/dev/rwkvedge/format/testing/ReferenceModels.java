package dev.rwkvedge.format.testing;

import dev.rwkvedge.format.rwkvcpp.RwkvCppFormatProvider;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tiny rwkv.cpp FP32 models that every other fixture was made from (models/FIXTURES.md): their tensors are
 * the reference canonical layout that readers of BlinkDL and Hugging Face files must reproduce.
 */
public final class ReferenceModels {
    /** Fixture version labels, as in the file names. */
    public static final List<String> VERSIONS = List.of("4v0", "5v1", "5v2", "6v0", "7v0");
    private static final Map<String, String> SIZES = Map.of("4v0", "660K", "5v1", "730K", "5v2", "730K",
            "6v0", "1m", "7v0", "834K");

    private ReferenceModels() {
    }

    /** models/tiny/tiny-rwkv-VER-SIZE-TYPE.bin, e.g. {@code bin("5v2", "FP16")}. */
    public static Path bin(String version, String type) {
        return Fixtures.require("models/tiny/tiny-rwkv-" + version + "-" + SIZES.get(version) + "-" + type + ".bin");
    }

    /** The FP32 rwkv.cpp model of {@code version}, opened with the rwkv-cpp reader. */
    public static ModelWeights reference(String version) throws IOException {
        return new RwkvCppFormatProvider().open(bin(version, "FP32"));
    }

    public static Path pth(String version, String precision) {
        return Fixtures.require("models/pth/tiny-rwkv-" + version + "-" + precision + ".pth");
    }

    public static Path safetensors(String version, String precision) {
        return Fixtures.require("models/safetensors/tiny-rwkv-" + version + "-" + precision + ".safetensors");
    }
}
