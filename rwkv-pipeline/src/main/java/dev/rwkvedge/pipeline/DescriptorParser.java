package dev.rwkvedge.pipeline;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.pipeline.yaml.YamlNode;
import dev.rwkvedge.pipeline.yaml.YamlNode.ListNode;
import dev.rwkvedge.pipeline.yaml.YamlNode.MapNode;
import dev.rwkvedge.pipeline.yaml.YamlNode.ScalarNode;
import dev.rwkvedge.pipeline.yaml.YamlReader;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.tensor.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a pipeline descriptor strictly, collecting every problem (unknown keys, wrong types, missing
 * model, unknown compressor/format/backend names with the available ones listed, bad parameter values) before
 * failing, each with its {@code line:col}. Compressor parameters are validated by creating each compressor.
 */
public final class DescriptorParser {
    /** Longest line accepted, in bytes (see {@link #text}). */
    static final int MAX_LINE = 4096;
    private final Path file;
    private final Path base;
    private final List<Problem> problems = new ArrayList<>();

    private DescriptorParser(Path file) {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        this.base = parent == null ? Path.of(".") : parent;
    }

    /**
     * @throws PipelineException listing every problem
     */
    public static Descriptor parse(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new RwkvException(file + ": no such pipeline file");
        }
        return parse(file, text(file, Files.readAllBytes(file)));
    }

    /**
     * The file as UTF-8 text; a byte that is not UTF-8 is a problem with its line and column, like a syntax error.
     * Lines are limited to {@value #MAX_LINE} bytes: the YAML scanner buffers a token in a window that it regrows by
     * copying, so one very long scalar costs memory quadratic in its length (a 200 KB line allocated 78 MB), and
     * a hand-written descriptor never needs such a line.
     */
    private static String text(Path file, byte[] bytes) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                if (i - lineStart > MAX_LINE) {
                    throw new PipelineException(file.toString(), List.of(new Problem(line, MAX_LINE + 1,
                            "line is " + (i - lineStart) + " bytes long; descriptor lines may have at most " + MAX_LINE)));
                }
                line++;
                lineStart = i + 1;
            }
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = utf8.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            line = 1;
            lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new PipelineException(file.toString(), List.of(new Problem(line, at - lineStart + 1,
                    String.format("byte 0x%02x is not UTF-8 text; save the descriptor as UTF-8", bytes[at] & 0xFF))));
        }
        utf8.flush(out);
        return out.flip().toString();
    }

    public static Descriptor parse(Path file, String text) {
        DescriptorParser p = new DescriptorParser(file);
        YamlNode root = YamlReader.parse(file.toString(), text);
        Descriptor d = p.descriptor(root);
        if (!p.problems.isEmpty()) {
            throw new PipelineException(file.toString(), p.problems);
        }
        return d;
    }

    private void problem(YamlNode.Location at, String message) {
        problems.add(new Problem(at.line(), at.column(), message));
    }

    /** The keys of a mapping, consumed one by one; whatever is left is reported as unknown. */
    private final class Fields {
        final MapNode map;
        final String where;
        final Set<String> known = new HashSet<>();

        Fields(MapNode map, String where) {
            this.map = map;
            this.where = where;
        }

        YamlNode get(String key) {
            known.add(key);
            return map.get(key);
        }

        void finish() {
            for (YamlNode.Entry e : map.entries().values()) {
                if (!known.contains(e.key())) {
                    problem(e.keyLocation(), "unknown key '" + e.key() + "' in " + where + "; known keys: "
                            + String.join(", ", known.stream().sorted().toList()));
                }
            }
        }
    }

    private MapNode asMap(YamlNode n, String what) {
        if (n instanceof MapNode m) {
            return m;
        }
        problem(n.location(), what + " must be a mapping, not " + YamlNode.describe(n));
        return null;
    }

    private String string(YamlNode n, String what) {
        if (n instanceof ScalarNode s && s.value() instanceof String str && !str.isBlank()) {
            return str;
        }
        problem(n.location(), what + " must be text, not " + YamlNode.describe(n));
        return null;
    }

    private Long integer(YamlNode n, String what, long min) {
        if (n instanceof ScalarNode s && s.value() instanceof Long l) {
            if (l < min) {
                problem(n.location(), what + " must be at least " + min + ", not " + l);
                return null;
            }
            return l;
        }
        problem(n.location(), what + " must be a whole number, not " + YamlNode.describe(n));
        return null;
    }

    private Boolean bool(YamlNode n, String what) {
        if (n instanceof ScalarNode s && s.value() instanceof Boolean b) {
            return b;
        }
        problem(n.location(), what + " must be true or false, not " + YamlNode.describe(n));
        return null;
    }

    private Path existingFile(YamlNode n, String what) {
        String s = string(n, what);
        if (s == null) {
            return null;
        }
        Path p = base.resolve(s).normalize();
        if (!Files.isRegularFile(p)) {
            problem(n.location(), what + ": file " + p + " does not exist");
        }
        return p;
    }

    private Descriptor descriptor(YamlNode root) {
        MapNode top = asMap(root, "the pipeline");
        if (top == null) {
            throw new PipelineException(file.toString(), problems);
        }
        Fields f = new Fields(top, "the pipeline");
        List<Path> plugins = plugins(f.get("plugins"));
        Descriptor.ModelSource model = null;
        YamlNode m = f.get("model");
        if (m == null) {
            problem(top.location(), "missing 'model:' (a model file path, {path:, format:}, or {synthetic: {...}})");
        } else {
            model = model(m);
        }
        String backend = KernelBackends.AUTO;
        YamlNode b = f.get("backend");
        if (b != null && (backend = string(b, "backend")) != null && !KernelBackends.choices().contains(backend)) {
            problem(b.location(), "unknown backend '" + backend + "'; available: " + String.join(", ", KernelBackends.choices()));
        }
        int threads = 0;
        YamlNode t = f.get("threads");
        if (t != null) {
            Long v = integer(t, "threads", 0);
            threads = v == null ? 0 : v.intValue();
        }
        long seed = 1;
        YamlNode s = f.get("seed");
        if (s != null) {
            Long v = integer(s, "seed", Long.MIN_VALUE);
            seed = v == null ? 1 : v;
        }
        Descriptor.TokenizerSpec tokenizer = tokenizer(f.get("tokenizer"));
        YamlNode cal = f.get("calibration");
        Descriptor.TextSpec calibration = cal == null ? null : text(cal, "calibration", 16384);
        List<Descriptor.Step> steps = steps(f.get("steps"));
        Descriptor.Output output = null;
        YamlNode o = f.get("output");
        if (o == null) {
            problem(top.location(), "missing 'output:' (a path, or {path:, format:, dtype:})");
        } else {
            output = output(o);
        }
        Descriptor.EvalSpec eval = null;
        YamlNode e = f.get("eval");
        if (e != null) {
            eval = eval(e);
        }
        Path report = null;
        YamlNode r = f.get("report");
        if (r != null) {
            String rs = string(r, "report");
            report = rs == null ? null : base.resolve(rs).normalize();
        } else if (output != null && output.path() != null) {
            Path parent = output.path().getParent();
            report = (parent == null ? Path.of(".") : parent).resolve("report.html");
        }
        YamlNode budget = f.get("budget");
        if (budget != null) {
            problem(budget.location(), "'budget:' is reserved for the planner and not supported yet; set ranks and clusters in the steps");
        }
        f.finish();
        return new Descriptor(file, model, backend, threads, seed, tokenizer, calibration, steps, output, eval, report, plugins);
    }

    private List<Path> plugins(YamlNode n) {
        List<Path> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        List<YamlNode> items = n instanceof ListNode l ? l.items() : List.of(n);
        for (YamlNode i : items) {
            String s = string(i, "plugins");
            if (s != null) {
                Path p = base.resolve(s).normalize();
                if (!Files.isDirectory(p)) {
                    problem(i.location(), "plugins: folder " + p + " does not exist");
                }
                out.add(p);
            }
        }
        if (!out.isEmpty() && problems.isEmpty()) {
            Plugins.load(out);
        }
        return out;
    }

    private Descriptor.ModelSource model(YamlNode n) {
        if (n instanceof ScalarNode) {
            Path p = existingFile(n, "model");
            return p == null ? null : new Descriptor.FileModel(p, "auto");
        }
        MapNode map = asMap(n, "model");
        if (map == null) {
            return null;
        }
        Fields f = new Fields(map, "model");
        YamlNode synth = f.get("synthetic");
        YamlNode path = f.get("path");
        YamlNode format = f.get("format");
        f.finish();
        if (synth != null) {
            if (path != null) {
                problem(path.location(), "model: give either 'path' or 'synthetic', not both");
            }
            return synthetic(synth);
        }
        if (path == null) {
            problem(map.location(), "model: needs 'path' (a model file) or 'synthetic'");
            return null;
        }
        Path p = existingFile(path, "model.path");
        String fmt = "auto";
        if (format != null && (fmt = string(format, "model.format")) != null && !fmt.equals("auto")
                && !WeightFormats.registry().exists(fmt)) {
            problem(format.location(), "unknown format '" + fmt + "'; available: auto, "
                    + String.join(", ", WeightFormats.registry().available()));
        }
        return p == null ? null : new Descriptor.FileModel(p, fmt == null ? "auto" : fmt);
    }

    private Descriptor.ModelSource synthetic(YamlNode n) {
        MapNode map = asMap(n, "model.synthetic");
        if (map == null) {
            return null;
        }
        Fields f = new Fields(map, "model.synthetic");
        RwkvVersion version = null;
        YamlNode v = f.get("version");
        if (v == null) {
            problem(map.location(), "model.synthetic needs 'version' (v4, v5.1, v5.2, v6 or v7)");
        } else {
            String vs = v instanceof ScalarNode s && s.value() != null ? s.value().toString() : null;
            try {
                version = RwkvVersion.parse(vs == null ? "" : vs);
            } catch (IllegalArgumentException e) {
                problem(v.location(), "model.synthetic.version: " + e.getMessage());
            }
        }
        Long layers = required(f, map, "layers", 1);
        Long embd = required(f, map, "embd", 32);
        Long vocab = optional(f, "vocab", 65536, 1);
        Long ffn = optional(f, "ffn", 0, 0);
        Long headSize = optional(f, "head-size", 64, 1);
        Long seed = optional(f, "seed", 1, Long.MIN_VALUE);
        DType dtype = DType.F16;
        YamlNode d = f.get("dtype");
        if (d != null) {
            dtype = dtype(d, "model.synthetic.dtype");
        }
        f.finish();
        if (version == null || layers == null || embd == null || vocab == null || ffn == null || headSize == null
                || seed == null || dtype == null) {
            return null;
        }
        try {
            return new Descriptor.SyntheticModelSource(new SynthSpec(version, layers.intValue(), embd.intValue(),
                    vocab.intValue(), ffn.intValue(), headSize.intValue(), dtype, seed));
        } catch (IllegalArgumentException e) {
            problem(map.location(), "model.synthetic: " + e.getMessage());
            return null;
        }
    }

    private Long required(Fields f, MapNode map, String key, long min) {
        YamlNode n = f.get(key);
        if (n == null) {
            problem(map.location(), f.where + " needs '" + key + "'");
            return null;
        }
        return integer(n, f.where + "." + key, min);
    }

    private Long optional(Fields f, String key, long dflt, long min) {
        YamlNode n = f.get(key);
        return n == null ? Long.valueOf(dflt) : integer(n, f.where + "." + key, min);
    }

    private DType dtype(YamlNode n, String what) {
        String s = string(n, what);
        if (s == null) {
            return null;
        }
        try {
            return DType.parse(s);
        } catch (IllegalArgumentException e) {
            problem(n.location(), what + ": " + e.getMessage());
            return null;
        }
    }

    private Descriptor.TokenizerSpec tokenizer(YamlNode n) {
        if (n == null) {
            return new Descriptor.TokenizerSpec("auto", null);
        }
        if (n instanceof ScalarNode) {
            String s = string(n, "tokenizer");
            return new Descriptor.TokenizerSpec(s == null ? "auto" : s, null);
        }
        MapNode map = asMap(n, "tokenizer");
        if (map == null) {
            return new Descriptor.TokenizerSpec("auto", null);
        }
        Fields f = new Fields(map, "tokenizer");
        YamlNode name = f.get("name");
        YamlNode vocab = f.get("vocab");
        f.finish();
        return new Descriptor.TokenizerSpec(name == null ? "auto" : string(name, "tokenizer.name"),
                vocab == null ? null : existingFile(vocab, "tokenizer.vocab"));
    }

    private Descriptor.TextSpec text(YamlNode n, String where, int defaultTokens) {
        MapNode map = asMap(n, where);
        if (map == null) {
            return null;
        }
        Fields f = new Fields(map, where);
        Path text = null;
        YamlNode t = f.get("text");
        if (t == null) {
            problem(map.location(), where + " needs 'text' (a text file)");
        } else {
            text = existingFile(t, where + ".text");
        }
        Long start = optional(f, "start", 0, Long.MIN_VALUE);
        Long bytes = optional(f, "bytes", 0, 0);
        Long tokens = optional(f, "tokens", defaultTokens, 0);
        String encoding = "utf-8";
        YamlNode e = f.get("encoding");
        if (e != null && (encoding = string(e, where + ".encoding")) != null
                && !encoding.equals("utf-8") && !encoding.equals("utf-16le")) {
            problem(e.location(), where + ".encoding must be utf-8 or utf-16le, not '" + encoding + "'");
        }
        if (where.equals("eval")) {
            f.get("reference");
        }
        f.finish();
        if (text == null || start == null || bytes == null || tokens == null) {
            return null;
        }
        return new Descriptor.TextSpec(text, start, bytes, tokens.intValue(), encoding == null ? "utf-8" : encoding);
    }

    private Descriptor.EvalSpec eval(YamlNode n) {
        Descriptor.TextSpec t = text(n, "eval", 4096);
        boolean reference = true;
        if (n instanceof MapNode map && map.get("reference") != null) {
            Boolean b = bool(map.get("reference"), "eval.reference");
            reference = b == null || b;
        }
        return t == null ? null : new Descriptor.EvalSpec(t, reference);
    }

    private List<Descriptor.Step> steps(YamlNode n) {
        List<Descriptor.Step> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (!(n instanceof ListNode list)) {
            problem(n.location(), "steps must be a list of '- name: {parameters}', not " + YamlNode.describe(n));
            return out;
        }
        for (YamlNode item : list.items()) {
            if (!(item instanceof MapNode m) || m.entries().size() != 1) {
                problem(item.location(), "each step must be one '- name: {parameters}' entry, not " + YamlNode.describe(item));
                continue;
            }
            YamlNode.Entry e = m.entries().values().iterator().next();
            Map<String, Object> params = new LinkedHashMap<>();
            if (e.value() instanceof MapNode pm) {
                pm.entries().forEach((k, v) -> params.put(k, YamlNode.toPlain(v.value())));
            } else if (!(e.value() instanceof ScalarNode s && s.value() == null)) {
                problem(e.value().location(), "parameters of step '" + e.key() + "' must be a mapping, not "
                        + YamlNode.describe(e.value()));
                continue;
            }
            if (!Compressors.registry().exists(e.key())) {
                List<String> avail = Compressors.registry().available();
                problem(e.keyLocation(), "unknown compressor '" + e.key() + "'; available: "
                        + (avail.isEmpty() ? "(none on the classpath)" : String.join(", ", avail)));
                continue;
            }
            CompressorProvider p = Compressors.registry().forName(e.key());
            try {
                p.create(new Params(e.key(), params));
            } catch (RuntimeException ex) {
                problem(e.value().location(), ex.getMessage());
                continue;
            }
            out.add(new Descriptor.Step(e.key(), params, e.keyLocation().line(), e.keyLocation().column()));
        }
        return out;
    }

    private Descriptor.Output output(YamlNode n) {
        Path path = null;
        String format = "rwkv-edge";
        DType dtype = null;
        YamlNode pathNode = n;
        if (n instanceof MapNode map) {
            Fields f = new Fields(map, "output");
            pathNode = f.get("path");
            YamlNode fmt = f.get("format");
            YamlNode dt = f.get("dtype");
            f.finish();
            if (pathNode == null) {
                problem(map.location(), "output needs 'path'");
            }
            if (fmt != null) {
                format = string(fmt, "output.format");
            }
            if (dt != null) {
                dtype = dtype(dt, "output.dtype");
            }
            if (format != null) {
                if (!WeightFormats.registry().exists(format)) {
                    problem(fmt == null ? map.location() : fmt.location(), "unknown format '" + format + "'; available: "
                            + String.join(", ", WeightFormats.registry().available()));
                } else {
                    WeightFormatProvider wp = WeightFormats.registry().forName(format);
                    if (!wp.canWrite()) {
                        problem(fmt == null ? map.location() : fmt.location(), "format '" + format + "' cannot be written");
                    }
                }
            }
        }
        if (pathNode != null) {
            String s = string(pathNode, "output.path");
            if (s != null) {
                path = base.resolve(s).normalize();
                Path parent = path.getParent();
                if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
                    problem(pathNode.location(), "output folder " + parent + " is a file");
                }
            }
        }
        return new Descriptor.Output(path, format, dtype);
    }
}
