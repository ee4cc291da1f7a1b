package dev.rwkvedge.tools;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code bench} measurement: decode and prefill speed of a model on a backend, the parameter memory account, and
 * the process's memory, set against the machine's memory bandwidth. Decoding reads every weight once per token (the
 * embedding only one row), so {@code bytes per token / seconds per token} is the bandwidth the kernels achieve, and
 * its ratio to a STREAM triad with the same thread count says how close to the memory limit they run (rwkv.cpp's
 * PERF.md does the same).
 *
 * <p>It lives in {@code rwkv-api} so that a process whose classpath holds only the runtime jars (api, format, a
 * backend) can run it: {@code rwkv-edge bench} calls it in-process, and {@code bench --runtime-only} starts a child
 * JVM with only those jars whose {@link #main} prints the result as one JSON object; the CLI then measures the triad
 * itself ({@link #addTriad}), so the child's heap needs no room for the triad's arrays.
 */
public final class Bench {
    /**
     * @param triadMib size of each of the triad's three arrays in MiB; 0 skips the triad
     * @param threads  backend threads, 0 = all cores
     * @param releasePagesEvery drop the on-demand tensors' pages from the resident set every this many tokens
     *                          ({@link LoadOptions#releasePagesEvery()}); 0 = never
     */
    public record Options(Path model, String format, String backend, int threads, int tokens, int promptTokens,
                          int warmup, int prefillRuns, int triadMib, int releasePagesEvery) {
        public Options {
            if (tokens < 1 || promptTokens < 1 || warmup < 0 || prefillRuns < 1 || triadMib < 0 || threads < 0
                    || releasePagesEvery < 0) {
                throw new IllegalArgumentException("--tokens, --prompt-tokens and --prefill-runs must be positive, "
                        + "--warmup, --triad-mib, --threads and --release-pages-every not negative");
            }
        }
    }

    private final Options options;

    public Bench(Options options) {
        this.options = options;
    }

    /** Prefills run before the measured ones, besides the decode session's own. */
    static final int PREFILL_WARMUPS = 3;

    /** Runs the measurement and returns the result as JSON-ready keys (documented in the README). */
    public Map<String, Object> run() throws IOException {
        Options op = options;
        Map<String, Object> o = new LinkedHashMap<>();
        try (RwkvModel m = Rwkv.load(op.model(), new LoadOptions(op.format(), op.backend(), op.threads(),
                op.releasePagesEvery()))) {
            ModelConfig c = m.config();
            MemoryAccount account = m.memoryAccount();
            long bytesPerToken = bytesPerToken(m);
            int[] prompt = new int[op.promptTokens()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (int) ((i * 7919L + 13) % c.nVocab());
            }

            // Warm-up: a few prefills, so that the measured ones run the sequence-mode kernels' final C2 code rather
            // than catching their last compilations, then some decode tokens. A precaution: on the 169M F32 model the
            // machine's noise (259-368 tokens/s between runs) hid any difference from a single warm-up prefill.
            for (int r = 0; r < PREFILL_WARMUPS; r++) {
                m.newSession().ingest(prompt);
            }
            Session s = m.newSession();
            s.ingest(prompt);
            float[] logits = new float[c.nVocab()];
            int token = prompt[prompt.length - 1];
            for (int i = 0; i < op.warmup(); i++) {
                s.eval(token, logits);
                token = argmax(logits);
            }

            double[] ms = new double[op.tokens()];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                s.eval(token, logits);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                token = argmax(logits);
            }
            double[] prefillS = new double[op.prefillRuns()];
            for (int r = 0; r < prefillS.length; r++) {
                Session p = m.newSession();
                long t0 = System.nanoTime();
                p.ingest(prompt);
                prefillS[r] = (System.nanoTime() - t0) / 1e9;
            }
            double decodeMs = median(ms);
            double prefillTps = op.promptTokens() / median(prefillS);

            // Live heap: collect the start-up and JIT warm-up garbage first.
            System.gc();
            Runtime rt = Runtime.getRuntime();
            long heapUsed = rt.totalMemory() - rt.freeMemory();
            ProcessMemory mem = ProcessMemory.read();
            long modelRss = ProcessMemory.mappedFileRss(op.model());

            o.put("model", op.model().toString());
            o.put("version", c.version().id());
            o.put("n_layer", c.nLayer());
            o.put("n_embd", c.nEmbd());
            o.put("n_vocab", c.nVocab());
            o.put("backend", m.backend().name());
            o.put("threads", m.backend().threads());
            o.put("release_pages_every", m.releasePagesEvery());
            o.put("decode_tokens", op.tokens());
            o.put("decode_ms_per_token", round(decodeMs, 3));
            o.put("decode_ms_p10", round(percentile(ms, 0.10), 3));
            o.put("decode_ms_p90", round(percentile(ms, 0.90), 3));
            o.put("decode_tokens_per_s", round(1000 / decodeMs, 2));
            o.put("prompt_tokens", op.promptTokens());
            o.put("prefill_tokens_per_s", round(prefillTps, 2));
            o.put("prefill_vs_decode", round(prefillTps / (1000 / decodeMs), 2));
            o.put("bytes_per_token", bytesPerToken);
            o.put("achieved_gb_per_s", round(bytesPerToken / (decodeMs / 1000) / 1e9, 2));
            o.put("resident_param_bytes", account.total().resident());
            o.put("resident_by_component", account.residentByComponent());
            o.put("ratio_vs_fp16", round(account.ratioVsFp16(), 3));
            o.put("ratio_vs_fp32", round(account.ratioVsFp32(), 3));
            o.put("memory", account.toMap());
            o.put("peak_rss_mb", mb(mem.peakRss()));
            o.put("rss_mb", mb(mem.rss()));
            o.put("rss_anon_mb", mb(mem.rssAnon()));
            o.put("rss_file_mb", mb(mem.rssFile()));
            o.put("rss_model_file_mb", mb(modelRss));
            o.put("heap_used_mb", mb(heapUsed));
            o.put("heap_committed_mb", mb(rt.totalMemory()));
            o.put("heap_max_mb", mb(rt.maxMemory()));
        }
        // The model is closed first: the triad's arrays must not count in the peak RSS read above.
        if (op.triadMib() > 0) {
            addTriad(o, op.triadMib());
        }
        return o;
    }

    /**
     * Measures the triad with the result's thread count and adds {@code triad_gb_per_s} and
     * {@code bandwidth_efficiency} (achieved over triad bandwidth).
     */
    public static void addTriad(Map<String, Object> o, int triadMib) {
        int threads = ((Number) o.get("threads")).intValue();
        double triad = new MemoryBandwidth(threads, triadMib).triad(5);
        o.put("triad_gb_per_s", round(triad / 1e9, 2));
        double achieved = ((Number) o.get("bytes_per_token")).doubleValue()
                / (((Number) o.get("decode_ms_per_token")).doubleValue() / 1000);
        o.put("bandwidth_efficiency", round(achieved / triad, 3));
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

    /**
     * {@code Bench MODEL [--tokens N] [--prompt-tokens P] [--warmup W] [--prefill-runs R] [--triad-mib M]
     * [--threads T] [--backend NAME] [--format NAME] [--release-pages-every N]}: prints one JSON object. Exit code 2 for bad input, 1 for an
     * internal failure, with one line on standard error.
     */
    public static void main(String[] args) {
        int code;
        try {
            System.out.println(Json.write(new Bench(parse(List.of(args))).run()));
            code = 0;
        } catch (IllegalArgumentException | RwkvException e) {
            System.err.println("rwkv-edge bench: " + e.getMessage());
            code = 2;
        } catch (NoSuchFileException e) {
            System.err.println("rwkv-edge bench: " + e.getFile() + ": no such file");
            code = 2;
        } catch (IOException e) {
            System.err.println("rwkv-edge bench: " + e.getMessage());
            code = 2;
        } catch (RuntimeException | OutOfMemoryError e) {
            System.err.println("rwkv-edge bench: internal error: " + e);
            code = 1;
        }
        System.exit(code);
    }

    /** Options from {@link #main}'s arguments; unknown options and missing values are errors. */
    static Options parse(List<String> args) {
        Map<String, String> v = new LinkedHashMap<>(Map.of("--tokens", "128", "--prompt-tokens", "128", "--warmup", "32",
                "--prefill-runs", "3", "--triad-mib", "0", "--threads", "0", "--backend", "auto", "--format", "auto",
                "--release-pages-every", "0"));
        Path model = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                if (!v.containsKey(a)) {
                    throw new IllegalArgumentException("unknown option " + a + "; known: " + String.join(", ", v.keySet()));
                }
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                v.put(a, args.get(++i));
            } else if (model == null) {
                model = Path.of(a);
            } else {
                throw new IllegalArgumentException("one model file expected, got " + model + " and " + a);
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("usage: Bench MODEL [--tokens N] [--prompt-tokens P] [--warmup W] "
                    + "[--prefill-runs R] [--triad-mib M] [--threads T] [--backend NAME] [--format NAME] "
                    + "[--release-pages-every N]");
        }
        return new Options(model, v.get("--format"), v.get("--backend"), integer(v, "--threads"), integer(v, "--tokens"),
                integer(v, "--prompt-tokens"), integer(v, "--warmup"), integer(v, "--prefill-runs"),
                integer(v, "--triad-mib"), integer(v, "--release-pages-every"));
    }

    private static int integer(Map<String, String> v, String key) {
        try {
            return Integer.parseInt(v.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + v.get(key) + "'");
        }
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

    private static double mb(long bytes) {
        return bytes < 0 ? -1 : round(bytes / 1048576.0, 1);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
