package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code quantize} step: replaces each selected float matrix {@code X} ({@link Candidates}) by its ggml-block
 * (Q8_0, Q5_1, Q5_0, Q4_1, Q4_0) or per-row INT8 version ({@link TensorQuantizer}); an INT8 matrix comes with its
 * scale vector {@code X.scale}, placed right after it. Operators do not change (a quantized matrix is still
 * {@code dense}, a factor still a {@code lowrank} factor, …): every operator reads its tensors through views that
 * carry the scale.
 *
 * <p>The new weights record in metadata {@value #OPERATORS_KEY} (JSON: tensor → dtype, merged with earlier quantize
 * steps) and {@value #MANIFEST_KEY} (JSON: how they were made), as the other compressors do. The report has one row
 * per selected matrix (dtype before → after, bytes, relative Frobenius and max abs error, or why it was skipped) and
 * totals.
 */
final class QuantizeCompressor implements Compressor {
    static final String OPERATORS_KEY = "operators.quantize";
    static final String MANIFEST_KEY = "compressor.quantize";

    private final String step;
    private final String version;
    private final QuantizeSettings settings;

    QuantizeCompressor(String step, String version, QuantizeSettings settings) {
        this.step = step;
        this.version = version;
        this.settings = settings;
    }

    @Override
    public CompressionResult apply(ModelWeights weights, CompressionContext context) {
        long start = System.nanoTime();
        List<Candidates.Decision> decisions = Candidates.select(step, weights, settings);
        Map<String, TensorQuantizer.Outcome> done = new HashMap<>();
        int todo = (int) decisions.stream().filter(d -> d.skipped() == null).count();
        try (CompressionContext.Progress progress = context.progress("quantizing", todo)) {
            for (Candidates.Decision d : decisions) {
                if (d.skipped() == null) {
                    try {
                        done.put(d.tensor().name(), TensorQuantizer.quantize(d.tensor(), d.type()));
                    } catch (IllegalArgumentException e) {
                        throw new RwkvException("step '" + step + "': " + e.getMessage(), e);
                    }
                    progress.step(1);
                }
            }
        }

        // Re-put every tensor in file order so that each X.scale lands right after its X.
        ModelWeights.Builder out = weights.toBuilder();
        for (String name : List.copyOf(weights.names())) {
            out.remove(name);
        }
        for (Tensor t : weights.tensors()) {
            TensorQuantizer.Outcome o = done.get(t.name());
            out.put(o == null ? t : o.quantized());
        }
        Map<String, Object> operators = previous(weights);
        CompressionReport report = new CompressionReport(step);
        long before = 0;
        long after = 0;
        double err = 0;
        double norm = 0;
        double maxRel = 0;
        double maxAbs = 0;
        int fallbacks = 0;
        for (Candidates.Decision d : decisions) {
            TensorQuantizer.Outcome o = done.get(d.tensor().name());
            report.row(row(d, o));
            if (o != null) {
                operators.put(d.tensor().name(), o.type().dtype.id());
                before += o.bytesBefore();
                after += o.bytesAfter();
                err += o.errorSquares();
                norm += o.normSquares();
                maxRel = Math.max(maxRel, o.relativeError());
                maxAbs = Math.max(maxAbs, o.maxAbsError());
                fallbacks += d.fallback() != null ? 1 : 0;
            }
        }
        out.metadata(OPERATORS_KEY, Json.write(operators));
        out.metadata(MANIFEST_KEY, Json.write(manifest()));
        ModelWeights result = out.build();
        report.metric("dtype", settings.type().id)
                .metric("matrices", decisions.size())
                .metric("quantized", done.size())
                .metric("skipped", decisions.size() - done.size())
                .metric("int8_fallbacks", fallbacks)
                .metric("bytes_before", before)
                .metric("bytes_after", after)
                .metric("model_bytes_before", weights.byteSize())
                .metric("model_bytes_after", result.byteSize())
                .metric("relative_error", norm == 0 ? 0 : Math.sqrt(err / norm))
                .metric("relative_error_max", maxRel)
                .metric("max_abs_error", maxAbs)
                .metric("seconds", (System.nanoTime() - start) / 1e9);
        return new CompressionResult(result, report);
    }

    private static Map<String, Object> previous(ModelWeights weights) {
        String prev = weights.metadata().get(OPERATORS_KEY);
        return prev == null ? new LinkedHashMap<>() : new LinkedHashMap<>(Json.parseObject(prev));
    }

    private Map<String, Object> manifest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("compressor", "quantize");
        m.put("version", version);
        m.put("dtype", settings.type().id);
        m.put("targets", settings.targets().stream().map(g -> (Object) g.text()).toList());
        m.put("exclude", settings.exclude().stream().map(g -> (Object) g.text()).toList());
        m.put("min_elements", settings.minElements());
        m.put("int8", "symmetric per-row scale max|w|/127, round half to even, codes -127..127, scale tensor <name>.scale");
        m.put("blocks", "ggml reference quantizers (quantize_row_<type>_ref, rwkv.cpp's quantizer): q8_0 rounds half away "
                + "from zero; q4_0/q5_0 d = signed max-magnitude / -8 or -16, codes trunc(x/d + 8.5 or 16.5); "
                + "q4_1/q5_1 d = (max - min) / 15 or 31, m = min, codes trunc((x - m)/d + 0.5); d and m binary16 "
                + "round-to-nearest-even; rows not of 32k elements fall back to int8");
        return m;
    }

    private static Map<String, Object> row(Candidates.Decision d, TensorQuantizer.Outcome o) {
        Tensor t = d.tensor();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tensor", t.name());
        r.put("shape", java.util.Arrays.stream(t.shape()).mapToObj(Long::toString)
                .collect(java.util.stream.Collectors.joining("x")));
        r.put("dtype_before", t.dtype().id());
        r.put("dtype_after", o == null ? t.dtype().id() : o.type().dtype.id());
        r.put("bytes_before", t.byteSizeWithScale());
        r.put("bytes_after", o == null ? t.byteSizeWithScale() : o.bytesAfter());
        if (o != null) {
            r.put("relative_error", o.relativeError());
            r.put("max_abs_error", o.maxAbsError());
            r.put("status", d.fallback() != null ? "quantized as i8: " + d.fallback() : "quantized");
        } else {
            r.put("status", "skipped: " + d.skipped());
        }
        return r;
    }
}
