package dev.rwkvedge.pipeline;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.eval.Evaluator;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.ActivationObserver;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tokenizer.Tokenizer;
import dev.rwkvedge.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Runs a validated {@link Descriptor}: loads or synthesises the model, tokenizes calibration text, applies each
 * compressor in order through the {@link Compressor} SPI, writes the result atomically through its format, evaluates
 * before and after, and writes {@code report.json} and {@code report.html}.
 */
public final class PipelineRunner {
    private PipelineRunner() {
    }

    public static PipelineResult run(Descriptor d, ProgressListener progress) throws IOException {
        long t0 = System.nanoTime();
        try (KernelBackend backend = KernelBackends.create(d.backend(), d.threads());
             ModelWeights original = loadModel(d, progress)) {
            ModelConfig config = ModelConfig.of(original);
            Tokenizer tokenizer = tokenizer(d, config);
            int[] calibration = new int[0];
            if (d.calibration() != null) {
                calibration = TextData.load(d.calibration(), tokenizer).ids();
                progress.message("calibration: " + calibration.length + " tokens from " + d.calibration().text());
            }
            ModelWeights current = original;
            List<PipelineResult.StepOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < d.steps().size(); i++) {
                Descriptor.Step step = d.steps().get(i);
                Compressor c = Compressors.registry().forName(step.name()).create(new Params(step.name(), step.params()));
                long s0 = System.nanoTime();
                progress.message("step " + (i + 1) + "/" + d.steps().size() + ": " + step.name());
                CompressionResult r = c.apply(current, context(calibration, d.seed(), i, backend, progress));
                current = r.weights();
                outcomes.add(new PipelineResult.StepOutcome(step.name(), r.report(), (System.nanoTime() - s0) / 1_000_000));
            }
            progress.message("writing " + d.output().path() + " (" + d.output().format() + ")");
            Path parent = d.output().path().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            WeightFormats.registry().forName(d.output().format())
                    .write(current, d.output().path(), new WriteOptions(d.output().dtype()));
            EvalResult before = null;
            EvalResult after = null;
            MemoryAccount memoryBefore;
            MemoryAccount memoryAfter;
            // One binding of each model serves the memory account and the evaluation.
            try (ModelWeights written = WeightFormats.open(d.output().path(), d.output().format());
                 RwkvModel ref = RwkvModel.of(original, backend, false);
                 RwkvModel out = RwkvModel.of(written, backend, false)) {
                memoryBefore = ref.memoryAccount();
                memoryAfter = out.memoryAccount();
                if (d.eval() != null) {
                    TextData.Tokens eval = TextData.load(d.eval().text(), tokenizer);
                    before = evaluate("evaluating the original model", ref, null, eval, progress);
                    after = evaluate("evaluating the written model", out, d.eval().reference() ? ref : null, eval, progress);
                }
            }
            boolean byteLevel = tokenizer.name().equals("byte");
            PipelineResult result = new PipelineResult(d.source(), d.output().path(), d.output().format(), config,
                    modelName(d), ModelSizes.byComponent(original), ModelSizes.byComponent(current), memoryBefore,
                    memoryAfter, outcomes,
                    before, after, byteLevel, (System.nanoTime() - t0) / 1_000_000);
            if (d.report() != null) {
                Reports.write(result, d.report());
                progress.message("report: " + d.report() + " and " + Reports.jsonPath(d.report()));
            }
            return result;
        }
    }

    private static EvalResult evaluate(String task, RwkvModel m, RwkvModel ref, TextData.Tokens t, ProgressListener progress) {
        try (CompressionContext.Progress p = progress.start(task, t.ids().length)) {
            long[] last = {0};
            return Evaluator.evaluate(m, ref, t.ids(), t.bytesPerToken(), done -> {
                p.step(done - last[0]);
                last[0] = done;
            });
        }
    }

    private static String modelName(Descriptor d) {
        return switch (d.model()) {
            case Descriptor.FileModel f -> f.path().getFileName().toString();
            case Descriptor.SyntheticModelSource s -> "synthetic " + s.spec().version().id() + " " + s.spec().layers()
                    + "×" + s.spec().embd() + ", vocab " + s.spec().vocab() + " (seed " + s.spec().seed() + ")";
        };
    }

    private static ModelWeights loadModel(Descriptor d, ProgressListener progress) throws IOException {
        return switch (d.model()) {
            case Descriptor.FileModel f -> WeightFormats.open(f.path(), f.format());
            case Descriptor.SyntheticModelSource s -> {
                progress.message("generating " + modelName(d));
                yield SyntheticModel.generate(s.spec());
            }
        };
    }

    private static Tokenizer tokenizer(Descriptor d, ModelConfig c) {
        Descriptor.TokenizerSpec t = d.tokenizer();
        if (t == null || t.name() == null || t.name().equals("auto")) {
            return Tokenizers.forVocabSize(c.nVocab(), t == null ? null : t.vocab());
        }
        return Tokenizers.forName(t.name(), t.vocab());
    }

    private static CompressionContext context(int[] calibration, long seed, int stepIndex, KernelBackend backend,
                                              ProgressListener progress) {
        return new CompressionContext() {
            @Override
            public int[] calibrationTokens() {
                return calibration.clone();
            }

            @Override
            public RandomGenerator random() {
                return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stepIndex);
            }

            @Override
            public KernelBackend backend() {
                return backend;
            }

            @Override
            public Progress progress(String task, long total) {
                return progress.start(task, total);
            }

            @Override
            public void calibrate(ModelWeights weights, ActivationObserver observer, boolean withHead) {
                if (calibration.length == 0) {
                    throw new RwkvException("this step needs calibration data: add 'calibration: {text: FILE}' to the pipeline");
                }
                try (RwkvModel m = RwkvModel.observed(weights, backend, observer);
                     Progress p = progress.start("calibrating", calibration.length)) {
                    Session s = m.newSession();
                    int chunk = 256;
                    for (int start = 0; start < calibration.length; start += chunk) {
                        int[] part = java.util.Arrays.copyOfRange(calibration, start, Math.min(calibration.length, start + chunk));
                        if (withHead) {
                            s.evalSequenceAllLogits(part);
                        } else {
                            s.ingest(part);
                        }
                        p.step(part.length);
                    }
                }
            }
        };
    }
}
