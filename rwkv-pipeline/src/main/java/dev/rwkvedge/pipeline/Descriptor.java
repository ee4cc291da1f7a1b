package dev.rwkvedge.pipeline;

import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.tensor.DType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A validated pipeline: where the model comes from, how to run it, the compression steps in order, what to write
 * and how to evaluate. Paths are already resolved against the descriptor's folder.
 */
public record Descriptor(Path source, ModelSource model, String backend, int threads, long seed, TokenizerSpec tokenizer,
                         TextSpec calibration, List<Step> steps, Output output, EvalSpec eval, Path report,
                         List<Path> plugins) {

    /** The model: a file (format sniffed when {@code format} is {@code auto}) or a synthetic model. */
    public sealed interface ModelSource {
    }

    public record FileModel(Path path, String format) implements ModelSource {
    }

    public record SyntheticModelSource(SynthSpec spec) implements ModelSource {
    }

    /** Tokenizer for calibration and evaluation text: a name (or {@code auto}) and an optional vocabulary file. */
    public record TokenizerSpec(String name, Path vocab) {
    }

    /**
     * A slice of a text file turned into tokens.
     *
     * @param start    byte offset where the slice starts; negative counts from the end of the file
     * @param bytes    at most this many bytes (0 = to the end)
     * @param tokens   at most this many tokens (0 = all)
     * @param encoding {@code utf-8} or {@code utf-16le} (byte-level models trained on UTF-16LE text)
     */
    public record TextSpec(Path text, long start, long bytes, int tokens, String encoding) {
    }

    /** One compression step: the compressor name and its raw parameters. */
    public record Step(String name, Map<String, Object> params, int line, int column) {
    }

    public record Output(Path path, String format, DType dtype) {
    }

    /** @param reference also compare with the uncompressed model (top-1 agreement, KL) */
    public record EvalSpec(TextSpec text, boolean reference) {
    }
}
