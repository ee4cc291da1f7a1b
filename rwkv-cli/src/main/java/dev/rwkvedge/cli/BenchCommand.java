package dev.rwkvedge.cli;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.tools.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code bench}: the {@link Bench} measurement, in this process or ({@code --runtime-only}) in a child JVM whose
 * classpath holds only the thin runtime jars ({@link RuntimeJars}), so that its peak RSS is what a production app
 * serving the model would cost, without picocli, Jackson, EJML, the pipeline or any compressor. The triad is measured
 * here after the child has ended.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure decode ms/token, prefill tokens/s, weight bytes read per token, memory bandwidth "
                + "(STREAM triad, same threads) and the achieved share of it, the parameter memory account "
                + "(resident bytes by component, ratio vs dense FP16/FP32), and peak RSS.")
final class BenchCommand implements Callable<Integer> {
    private static final Pattern HEAP_SIZE = Pattern.compile("[1-9][0-9]*[kKmMgG]?");

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file.")
    Path model;

    @Option(names = "--tokens", defaultValue = "128", paramLabel = "N",
            description = "Timed decode tokens (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--prompt-tokens", defaultValue = "128", paramLabel = "P",
            description = "Prompt length for the prefill (sequence mode) measurement (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--warmup", defaultValue = "32", paramLabel = "W",
            description = "Untimed decode tokens first, for the JIT (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--prefill-runs", defaultValue = "3", paramLabel = "R",
            description = "Timed prefill runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int prefillRuns;

    @Option(names = "--triad-mib", defaultValue = "256", paramLabel = "MIB",
            description = "Size of each of the triad's three arrays (default: ${DEFAULT-VALUE}; far beyond the caches).")
    int triadMib;

    @Option(names = "--runtime-only",
            description = "Run the measurement in a child JVM whose classpath holds only rwkv-api, rwkv-format and the "
                    + "runtime jars (from rwkv-cli/target/runtime/), and report its peak RSS.")
    boolean runtimeOnly;

    @Option(names = "--xmx", paramLabel = "SIZE",
            description = "Maximum heap of the --runtime-only child JVM, e.g. 64m (default: the JVM's, a quarter of RAM).")
    String xmx;

    @Option(names = "--release-pages-every", paramLabel = "N",
            description = "Drop the mapped pages of the on-demand tensors (predicted-sparse FFN rows, clustered head "
                    + "rows) from the resident set every N evaluated tokens, prompt included; 0 = never (default: "
                    + "system property rwkv.release-pages-every, else 0).")
    Integer releasePagesEvery;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Mixin
    BackendOptions backend;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (triadMib < 1) {
            throw new IllegalArgumentException("--triad-mib must be positive");
        }
        if (xmx != null && !runtimeOnly) {
            throw new IllegalArgumentException("--xmx sets the heap of the --runtime-only child; add --runtime-only, or "
                    + "bound this JVM's heap with RWKV_EDGE_JAVA_OPTS=-Xmx…");
        }
        if (xmx != null && !HEAP_SIZE.matcher(xmx).matches()) {
            throw new IllegalArgumentException("--xmx " + xmx + ": expected a size such as 256m, 1g or 65536k");
        }
        var options = new Bench.Options(model, backend.format, backend.backend, backend.toLoadOptions().threads(),
                tokens, promptTokens, warmup, prefillRuns, runtimeOnly ? 0 : triadMib,
                releasePagesEvery != null ? releasePagesEvery : backend.toLoadOptions().releasePagesEvery());
        Map<String, Object> o;
        if (runtimeOnly) {
            o = runChild(options);
            Bench.addTriad(o, triadMib);
        } else {
            o = new Bench(options).run();
            o.put("runtime_only", false);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(o));
        } else {
            printText(out, o);
        }
        out.flush();
        return 0;
    }

    /** Runs {@link Bench#main} in a child JVM on the thin jars and returns its result plus how it was run. */
    private Map<String, Object> runChild(Bench.Options op) throws IOException, InterruptedException {
        List<Path> jars = RuntimeJars.classpath();
        List<String> jvm = new ArrayList<>();
        if (xmx != null) {
            jvm.add("-Xmx" + xmx);
        }
        jvm.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, jars.stream().map(Path::toString).toList()));
        cmd.add(Bench.class.getName());
        cmd.addAll(List.of(op.model().toString(), "--tokens", Integer.toString(op.tokens()), "--prompt-tokens",
                Integer.toString(op.promptTokens()), "--warmup", Integer.toString(op.warmup()), "--prefill-runs",
                Integer.toString(op.prefillRuns()), "--triad-mib", "0", "--threads", Integer.toString(op.threads()),
                "--backend", op.backend(), "--format", op.format(), "--release-pages-every",
                Integer.toString(op.releasePagesEvery())));
        Path err = Files.createTempFile("rwkv-edge-bench", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            String stderr = Files.readString(err).lines()
                    .filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce((a, b) -> a + " " + b).orElse("");
            if (code != 0) {
                String msg = "runtime-only bench (child JVM, exit " + code + "): "
                        + (stderr.isBlank() ? "no message" : stderr.replaceFirst("^rwkv-edge bench: ", ""));
                if (code == 2) {
                    throw new IllegalArgumentException(msg);
                }
                throw new IllegalStateException(msg);
            }
            Map<String, Object> o = Json.parseObject(stdout.strip());
            o.put("runtime_only", true);
            o.put("child_classpath", jars.stream().map(j -> j.getFileName().toString()).toList());
            o.put("child_jvm_options", jvm);
            return o;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Map<String, Object> o) {
        out.printf("model     %s (RWKV %s, %s layers × %s, vocab %s)%n", o.get("model"), o.get("version"),
                o.get("n_layer"), o.get("n_embd"), o.get("n_vocab"));
        out.printf("backend   %s, %s threads%s%n%n", o.get("backend"), o.get("threads"),
                Boolean.TRUE.equals(o.get("runtime_only")) ? ", runtime-only child JVM (" + String.join(" ",
                        (List<String>) o.get("child_jvm_options")) + "; " + String.join(", ",
                        (List<String>) o.get("child_classpath")) + ")" : "");
        List<String[]> rows = new ArrayList<>();
        rows.add(row("decode", o.get("decode_ms_per_token") + " ms/token (p10 " + o.get("decode_ms_p10") + ", p90 "
                + o.get("decode_ms_p90") + "), " + o.get("decode_tokens_per_s") + " tokens/s"));
        rows.add(row("prefill", o.get("prefill_tokens_per_s") + " tokens/s (" + o.get("prompt_tokens")
                + "-token prompt, " + o.get("prefill_vs_decode") + "× decode)"));
        rows.add(row("weights", Table.bytes(((Number) o.get("bytes_per_token")).longValue()) + " read per token"));
        rows.add(row("bandwidth", o.get("achieved_gb_per_s") + " GB/s achieved, triad " + o.get("triad_gb_per_s")
                + " GB/s, efficiency " + String.format(Locale.ROOT, "%.1f%%",
                100 * ((Number) o.get("bandwidth_efficiency")).doubleValue())));
        rows.add(row("parameters", Table.bytes(((Number) o.get("resident_param_bytes")).longValue()) + " resident; "
                + "dense FP16 is " + o.get("ratio_vs_fp16") + "× that, dense FP32 " + o.get("ratio_vs_fp32") + "×"));
        rows.add(row("memory", "peak RSS " + o.get("peak_rss_mb") + " MB; now RSS " + o.get("rss_mb") + " MB = anonymous "
                + o.get("rss_anon_mb") + " MB (heap, JIT, metaspace, copies) + file " + o.get("rss_file_mb")
                + " MB (of which model mapping " + o.get("rss_model_file_mb") + " MB)"
                + (((Number) o.getOrDefault("release_pages_every", 0)).intValue() > 0 ? "; on-demand pages released "
                + "every " + o.get("release_pages_every") + " tokens" : "")));
        rows.add(row("heap", o.get("heap_used_mb") + " MB in use after GC, " + o.get("heap_committed_mb")
                + " MB committed, max " + o.get("heap_max_mb") + " MB"));
        Table.print(out, new String[] {"MEASURE", "RESULT"}, rows);
        out.println();
        MemoryTable.print(out, (Map<String, Object>) o.get("memory"));
    }

    private static String[] row(String k, String v) {
        return new String[] {k, v};
    }
}
