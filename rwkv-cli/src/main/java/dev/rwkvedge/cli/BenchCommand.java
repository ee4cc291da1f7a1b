package dev.rwkvedge.cli;

import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code bench}: decode and prefill speed of a model on a backend, set against the machine's memory bandwidth measured
 * in the same run. Decoding reads every weight once per token (the embedding only one row), so
 * {@code bytes per token / seconds per token} is the bandwidth the kernels achieve, and its ratio to a STREAM triad
 * with the same thread count says how close to the memory limit they run (rwkv.cpp's PERF.md does the same).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure decode ms/token, prefill tokens/s, weight bytes read per token, memory bandwidth "
                + "(STREAM triad, same threads) and the achieved share of it, and peak RSS.")
final class BenchCommand implements Callable<Integer> {
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

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Mixin
    BackendOptions backend;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (tokens < 1 || promptTokens < 1 || warmup < 0 || prefillRuns < 1 || triadMib < 1) {
            throw new IllegalArgumentException("--tokens, --prompt-tokens, --prefill-runs and --triad-mib must be "
                    + "positive and --warmup not negative");
        }
        Map<String, Object> o = new LinkedHashMap<>();
        int threads;
        try (RwkvModel m = Rwkv.load(model, backend.toLoadOptions())) {
            ModelConfig c = m.config();
            threads = m.backend().threads();
            long bytesPerToken = bytesPerToken(m);
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (int) ((i * 7919L + 13) % c.nVocab());
            }

            // Warm-up: one prefill (compiles the sequence-mode kernels) and some decode tokens.
            Session s = m.newSession();
            s.ingest(prompt);
            float[] logits = new float[c.nVocab()];
            int token = prompt[prompt.length - 1];
            for (int i = 0; i < warmup; i++) {
                s.eval(token, logits);
                token = argmax(logits);
            }

            double[] ms = new double[tokens];
            for (int i = 0; i < tokens; i++) {
                long t0 = System.nanoTime();
                s.eval(token, logits);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                token = argmax(logits);
            }
            double[] prefillS = new double[prefillRuns];
            for (int r = 0; r < prefillRuns; r++) {
                Session p = m.newSession();
                long t0 = System.nanoTime();
                p.ingest(prompt);
                prefillS[r] = (System.nanoTime() - t0) / 1e9;
            }
            double decodeMs = median(ms);
            double prefillTps = promptTokens / median(prefillS);

            // Live heap: collect the start-up and JIT warm-up garbage first.
            System.gc();
            Runtime rt = Runtime.getRuntime();
            long heapUsed = rt.totalMemory() - rt.freeMemory();
            long peakRss = peakRssBytes();

            o.put("model", model.toString());
            o.put("version", c.version().id());
            o.put("n_layer", c.nLayer());
            o.put("n_embd", c.nEmbd());
            o.put("n_vocab", c.nVocab());
            o.put("backend", m.backend().name());
            o.put("threads", threads);
            o.put("decode_tokens", tokens);
            o.put("decode_ms_per_token", round(decodeMs, 3));
            o.put("decode_ms_p10", round(percentile(ms, 0.10), 3));
            o.put("decode_ms_p90", round(percentile(ms, 0.90), 3));
            o.put("decode_tokens_per_s", round(1000 / decodeMs, 2));
            o.put("prompt_tokens", promptTokens);
            o.put("prefill_tokens_per_s", round(prefillTps, 2));
            o.put("prefill_vs_decode", round(prefillTps / (1000 / decodeMs), 2));
            o.put("bytes_per_token", bytesPerToken);
            o.put("achieved_gb_per_s", round(bytesPerToken / (decodeMs / 1000) / 1e9, 2));
            o.put("peak_rss_mb", peakRss < 0 ? -1 : round(peakRss / 1048576.0, 1));
            o.put("heap_used_mb", round(heapUsed / 1048576.0, 1));
        }
        // The model is closed first: the triad's arrays must not count in the peak RSS reported above.
        double triad = new MemoryBandwidth(threads, triadMib).triad(5);
        o.put("triad_gb_per_s", round(triad / 1e9, 2));
        double achieved = ((Number) o.get("bytes_per_token")).doubleValue()
                / (((Number) o.get("decode_ms_per_token")).doubleValue() / 1000);
        o.put("bandwidth_efficiency", round(achieved / triad, 3));

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(o));
        } else {
            printText(out, o);
        }
        out.flush();
        return 0;
    }

    /** Every tensor is read once per decoded token, except the embedding, of which one row (and its scale) is. */
    static long bytesPerToken(RwkvModel m) {
        long sum = 0;
        for (Tensor t : m.weights().tensors()) {
            if (t.name().equals("emb.weight")) {
                sum += t.rowBytes();
            } else if (t.name().equals(Tensor.rowScaleName("emb.weight"))) {
                sum += 4;
            } else {
                sum += t.byteSize();
            }
        }
        return sum;
    }

    private static void printText(PrintWriter out, Map<String, Object> o) {
        out.printf("model     %s (RWKV %s, %s layers × %s, vocab %s)%n", o.get("model"), o.get("version"),
                o.get("n_layer"), o.get("n_embd"), o.get("n_vocab"));
        out.printf("backend   %s, %s threads%n%n", o.get("backend"), o.get("threads"));
        List<String[]> rows = new ArrayList<>();
        rows.add(row("decode", o.get("decode_ms_per_token") + " ms/token (p10 " + o.get("decode_ms_p10") + ", p90 "
                + o.get("decode_ms_p90") + "), " + o.get("decode_tokens_per_s") + " tokens/s"));
        rows.add(row("prefill", o.get("prefill_tokens_per_s") + " tokens/s (" + o.get("prompt_tokens")
                + "-token prompt, " + o.get("prefill_vs_decode") + "× decode)"));
        rows.add(row("weights", Table.bytes(((Number) o.get("bytes_per_token")).longValue()) + " read per token"));
        rows.add(row("bandwidth", o.get("achieved_gb_per_s") + " GB/s achieved, triad " + o.get("triad_gb_per_s")
                + " GB/s, efficiency " + String.format(Locale.ROOT, "%.1f%%",
                100 * ((Number) o.get("bandwidth_efficiency")).doubleValue())));
        rows.add(row("memory", "peak RSS " + o.get("peak_rss_mb") + " MB, heap in use " + o.get("heap_used_mb") + " MB"));
        Table.print(out, new String[] {"MEASURE", "RESULT"}, rows);
    }

    private static String[] row(String k, String v) {
        return new String[] {k, v};
    }

    /** VmHWM (peak resident set) of this process from /proc/self/status, or −1 where there is none. */
    static long peakRssBytes() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static double median(double[] v) {
        return percentile(v, 0.5);
    }

    static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
