package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The {@code lowrank} step: replaces selected projections {@code <name>} by the {@code lowrank} operator's tensors
 * {@code <name>.lowrank.a} and {@code <name>.lowrank.b} (DESIGN.md §4), found by truncated SVD as in RWKV-Lite
 * (PAPER.md §2) or by activation-aware SVD (SVD-LLM, {@link Whitening}).
 *
 * <p>When the pipeline has calibration text, the calibration tokens run once through the model with every selected
 * map's inputs accumulated into {@code XᵀX} ({@link SecondMoments}): activation-aware SVD needs them, and plain SVD
 * uses them to report the activation-weighted error (unless {@code activation-error: false}). Matrices are then factorised in parallel. The new weights
 * record in metadata {@value #OPERATORS_KEY} (JSON: name → rank, merged with earlier steps) and
 * {@value #MANIFEST_KEY} (JSON: how they were made).
 */
final class LowRankCompressor implements Compressor {
    static final String OPERATORS_KEY = "operators.lowrank";
    static final String MANIFEST_KEY = "compressor.lowrank";
    /** Projections the engine binds through the operator vocabulary ({@code Operators.linear}). */
    private static final Pattern LINEAR =
            Pattern.compile("blocks\\.\\d+\\.(att\\.(receptance|key|value|gate|output)|ffn\\.(receptance|key|value))\\.weight|head\\.weight");

    private final String step;
    private final String version;
    private final LowRankSettings settings;

    LowRankCompressor(String step, String version, LowRankSettings settings) {
        this.step = step;
        this.version = version;
        this.settings = settings;
    }

    @Override
    public CompressionResult apply(ModelWeights weights, CompressionContext context) {
        long start = System.nanoTime();
        List<Tensor> targets = select(weights);
        Set<String> names = new LinkedHashSet<>();
        targets.forEach(t -> names.add(t.name()));
        boolean calibrated = context.calibrationTokens().length > 0;
        if (settings.method() == Method.ACTIVATION_AWARE && !calibrated) {
            throw new RwkvException("step '" + step + "': method activation-aware needs calibration data: add "
                    + "'calibration: {text: FILE}' to the pipeline");
        }
        SecondMoments moments = null;
        if (calibrated && (settings.method() == Method.ACTIVATION_AWARE || settings.activationError())) {
            moments = new SecondMoments(names);
            // The head's input is only observed when the calibration run computes logits.
            context.calibrate(weights, moments, names.contains("head.weight"));
            for (String n : names) {
                if (moments.of(n) == null && settings.method() == Method.ACTIVATION_AWARE) {
                    throw new RwkvException("step '" + step + "': calibration never reached " + n);
                }
            }
        }
        List<MatrixCompressor.Outcome> outcomes = compressAll(targets, moments, context);

        ModelWeights.Builder out = weights.toBuilder();
        Map<String, Object> ranks = previousRanks(weights);
        CompressionReport report = new CompressionReport(step);
        long before = 0;
        long after = 0;
        int done = 0;
        for (MatrixCompressor.Outcome o : outcomes) {
            before += o.bytesBefore();
            after += o.bytesAfter();
            if (o.factorized()) {
                out.remove(o.name()).put(o.a()).put(o.b());
                ranks.put(o.name(), (long) o.rank());
                done++;
            }
            report.row(row(o, moments != null));
        }
        out.metadata(OPERATORS_KEY, Json.write(ranks));
        out.metadata(MANIFEST_KEY, Json.write(manifest()));
        report.metric("method", settings.method().id)
                .metric("rule", settings.rule().toString())
                .metric("matrices", outcomes.size())
                .metric("factorized", done)
                .metric("skipped", outcomes.size() - done)
                .metric("bytes_before", before)
                .metric("bytes_after", after)
                .metric("calibration_tokens", context.calibrationTokens().length)
                .metric("seconds", (System.nanoTime() - start) / 1e9);
        return new CompressionResult(out.build(), report);
    }

    /** The model's linear maps that the targets select, in file order. */
    private List<Tensor> select(ModelWeights weights) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : weights.tensors()) {
            if (t.rank() == 2 && LINEAR.matcher(t.name()).matches() && settings.selects(t.name())) {
                out.add(t);
            }
        }
        if (out.isEmpty()) {
            throw new RwkvException("step '" + step + "': no dense linear map matches targets " + settings.targets()
                    + " (projections are named like blocks.0.att.key.weight)");
        }
        for (LowRankSettings.Override o : settings.overrides()) {
            if (out.stream().noneMatch(t -> o.glob().matches(t.name()))) {
                throw new RwkvException("step '" + step + "': override '" + o.glob() + "' matches none of the "
                        + "selected matrices");
            }
        }
        return out;
    }

    private List<MatrixCompressor.Outcome> compressAll(List<Tensor> targets, SecondMoments moments,
                                                        CompressionContext context) {
        MatrixCompressor mc = new MatrixCompressor(settings);
        RandomGenerator random = context.random();
        long[] seeds = new long[targets.size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = random.nextLong();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(settings.threads(), targets.size()));
        try (CompressionContext.Progress progress = context.progress("factorizing", targets.size())) {
            List<Future<MatrixCompressor.Outcome>> futures = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                Tensor t = targets.get(i);
                long seed = seeds[i];
                futures.add(pool.submit(() -> {
                    MatrixCompressor.Outcome o = mc.compress(t, moments == null ? null : moments.of(t.name()), seed);
                    synchronized (progress) {
                        progress.step(1);
                    }
                    return o;
                }));
            }
            List<MatrixCompressor.Outcome> out = new ArrayList<>();
            for (Future<MatrixCompressor.Outcome> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RwkvException("step '" + step + "': interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new RwkvException("step '" + step + "': " + c, c);
        } finally {
            pool.shutdownNow();
        }
    }

    private static Map<String, Object> previousRanks(ModelWeights weights) {
        String prev = weights.metadata().get(OPERATORS_KEY);
        return prev == null ? new LinkedHashMap<>() : new LinkedHashMap<>(Json.parseObject(prev));
    }

    private Map<String, Object> manifest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("compressor", "lowrank");
        m.put("version", version);
        m.put("method", settings.method().id);
        m.put("rule", settings.rule().toString());
        List<Object> targets = new ArrayList<>();
        settings.targets().forEach(g -> targets.add(g.text()));
        m.put("targets", targets);
        Map<String, Object> ov = new LinkedHashMap<>();
        settings.overrides().forEach(o -> ov.put(o.glob().text(), o.rule().toString()));
        m.put("overrides", ov);
        m.put("damping", settings.damping());
        m.put("solver", settings.solver().id());
        m.put("split", "sqrt-sigma");
        return m;
    }

    private static Map<String, Object> row(MatrixCompressor.Outcome o, boolean calibrated) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tensor", o.name());
        r.put("shape", o.rows() + "x" + o.cols());
        r.put("rank", o.rank());
        r.put("bytes_before", o.bytesBefore());
        r.put("bytes_after", o.bytesAfter());
        if (o.factorized()) {
            r.put("relative_error", o.relativeError());
            if (calibrated) {
                r.put("activation_error", o.activationError());
            }
            r.put("status", "factorized");
        } else {
            r.put("status", "skipped: " + o.skipped());
        }
        return r;
    }
}
