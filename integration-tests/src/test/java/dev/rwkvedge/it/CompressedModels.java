package dev.rwkvedge.it;

import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineResult;
import dev.rwkvedge.pipeline.PipelineRunner;
import dev.rwkvedge.pipeline.ProgressListener;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small container written by a pipeline with every structural compressor (lowrank, 1-bit sparsity, cluster-head,
 * embedding-cache): a synthetic v5.2 model of 2 layers × 128, vocabulary 512, FFN 448, F16; report beside it.
 */
final class CompressedModels {
    private CompressedModels() {
    }

    /** Runs the pipeline in {@code dir}; the model is {@code dir/model.rwkv-edge}. */
    static PipelineResult write(Path dir) throws IOException {
        Path corpus = Fixtures.require("corpus/tinyshakespeare.txt");
        Path yaml = dir.resolve("p.yaml");
        Files.writeString(yaml, """
                model: {synthetic: {version: v5.2, layers: 2, embd: 128, vocab: 512, seed: 3, dtype: f16}}
                backend: scalar
                tokenizer: byte
                calibration: {text: %s, bytes: 8192, tokens: 768}
                steps:
                  - lowrank: {rank-ratio: 0.25, method: svd}
                  - sparsity: {predictor: 1bit, target-recall: 0.95}
                  - cluster-head: {clusters: 16, pca-dims: 16, iterations: 5, epochs: 1, max-states: 256}
                  - embedding-cache: {capacity: 1000}
                output: model.rwkv-edge
                """.formatted(corpus));
        return PipelineRunner.run(DescriptorParser.parse(yaml), ProgressListener.silent());
    }
}
