package dev.rwkvedge.pipeline;

import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.io.AtomicFiles;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.spi.CompressionReport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes a pipeline run as {@code report.json} (for tools) and a self-contained {@code report.html} (for people:
 * inline CSS and SVG, no scripts, no network): bytes by component before and after as a bar chart, the memory
 * account before and after (stored, resident, on-demand and per-token bytes by component; ratios against the dense
 * FP16/FP32 model), each step's metrics and per-item table, and evaluation before and after.
 */
public final class Reports {
    private Reports() {
    }

    /** {@code report.json} beside the HTML report. */
    public static Path jsonPath(Path html) {
        String name = html.getFileName().toString();
        String stem = name.endsWith(".html") ? name.substring(0, name.length() - 5) : name;
        return html.resolveSibling(stem + ".json");
    }

    public static void write(PipelineResult r, Path html) throws IOException {
        Map<String, Object> json = toJson(r);
        AtomicFiles.writeStream(jsonPath(html), out -> out.write(Json.write(json).getBytes(StandardCharsets.UTF_8)));
        String page = html(r);
        AtomicFiles.writeStream(html, out -> out.write(page.getBytes(StandardCharsets.UTF_8)));
    }

    public static Map<String, Object> toJson(PipelineResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("pipeline", r.descriptor().toString());
        o.put("model", r.modelName());
        o.put("version", r.config().version().id());
        o.put("output", r.output().toString());
        o.put("output_format", r.outputFormat());
        o.put("seconds", r.millis() / 1000.0);
        o.put("bytes_before", sizes(r.bytesBefore()));
        o.put("bytes_after", sizes(r.bytesAfter()));
        o.put("total_bytes_before", r.totalBefore());
        o.put("total_bytes_after", r.totalAfter());
        o.put("compression_ratio", (double) r.totalBefore() / Math.max(1, r.totalAfter()));
        o.put("memory_before", r.memoryBefore().toMap());
        o.put("memory_after", r.memoryAfter().toMap());
        o.put("resident_ratio", (double) r.memoryBefore().total().resident() / Math.max(1, r.memoryAfter().total().resident()));
        List<Object> steps = new ArrayList<>();
        for (PipelineResult.StepOutcome s : r.steps()) {
            Map<String, Object> so = new LinkedHashMap<>();
            so.put("step", s.name());
            so.put("seconds", s.millis() / 1000.0);
            so.put("metrics", s.report().metrics());
            so.put("rows", s.report().rows());
            steps.add(so);
        }
        o.put("steps", steps);
        if (r.evalBefore() != null) {
            o.put("eval_before", r.evalBefore().toMap(r.byteLevel()));
            o.put("eval_after", r.evalAfter().toMap(r.byteLevel()));
        }
        return o;
    }

    private static Map<String, Object> sizes(Map<Component, Long> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k.id(), v));
        return out;
    }

    static String esc(Object o) {
        String s = String.valueOf(o);
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String mib(long b) {
        return String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0);
    }

    static String num(Object v) {
        if (v instanceof Double d) {
            return Math.abs(d) >= 1e4 || (Math.abs(d) < 1e-3 && d != 0) ? String.format(Locale.ROOT, "%.3e", d)
                    : String.format(Locale.ROOT, "%.4f", d);
        }
        if (v instanceof Float f) {
            return num(f.doubleValue());
        }
        return String.valueOf(v);
    }

    static String html(PipelineResult r) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>rwkv-edge report: ")
                .append(esc(r.modelName())).append("</title>\n<style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}")
                .append("h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}")
                .append("table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}")
                .append("th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}")
                .append(".big{font-size:1.3em;font-weight:600}.good{color:#1a7f37}.bad{color:#c62828}")
                .append("</style></head><body>\n");
        double ratio = (double) r.totalBefore() / Math.max(1, r.totalAfter());
        h.append("<h1>rwkv-edge compression report</h1>\n<p>Model <b>").append(esc(r.modelName())).append("</b> (RWKV ")
                .append(esc(r.config().version().id())).append(", ").append(r.config().nLayer()).append(" layers, n_embd ")
                .append(r.config().nEmbd()).append(", vocab ").append(r.config().nVocab()).append(")<br>Pipeline ")
                .append(esc(r.descriptor())).append("<br>Output ").append(esc(r.output())).append(" (")
                .append(esc(r.outputFormat())).append(")</p>\n");
        h.append("<p class=\"big\">").append(mib(r.totalBefore())).append(" → ").append(mib(r.totalAfter()))
                .append(String.format(Locale.ROOT, " (%.2f× smaller)", ratio));
        if (r.evalBefore() != null) {
            h.append(" · ").append(r.byteLevel() ? "bits per byte " : "perplexity ");
            h.append(String.format(Locale.ROOT, "%.4f → %.4f", metric(r.evalBefore(), r.byteLevel()),
                    metric(r.evalAfter(), r.byteLevel())));
            if (r.evalAfter().hasReference()) {
                h.append(String.format(Locale.ROOT, " · top-1 agreement %.1f%%", 100 * r.evalAfter().top1Agreement()));
            }
        }
        h.append("</p>\n<h2>Bytes by component</h2>\n").append(barChart(r));
        h.append("<table><tr><th>component</th><th>before</th><th>after</th><th>after / before</th></tr>\n");
        Set<Component> comps = EnumSet.noneOf(Component.class);
        comps.addAll(r.bytesBefore().keySet());
        comps.addAll(r.bytesAfter().keySet());
        for (Component c : comps) {
            long b = r.bytesBefore().getOrDefault(c, 0L);
            long a = r.bytesAfter().getOrDefault(c, 0L);
            h.append("<tr><td>").append(c.id()).append("</td><td>").append(mib(b)).append("</td><td>").append(mib(a))
                    .append("</td><td>").append(b == 0 ? "new" : String.format(Locale.ROOT, "%.3f", (double) a / b)).append("</td></tr>\n");
        }
        h.append("<tr><th>total</th><th>").append(mib(r.totalBefore())).append("</th><th>").append(mib(r.totalAfter()))
                .append("</th><th>").append(String.format(Locale.ROOT, "%.3f", 1 / ratio)).append("</th></tr></table>\n");
        h.append(memoryTable(r));
        if (r.evalBefore() != null) {
            h.append("<h2>Evaluation</h2>\n<table><tr><th>metric</th><th>before</th><th>after</th></tr>\n");
            Map<String, Object> b = r.evalBefore().toMap(r.byteLevel());
            Map<String, Object> a = r.evalAfter().toMap(r.byteLevel());
            for (String k : a.keySet()) {
                h.append("<tr><td>").append(esc(k)).append("</td><td>").append(b.containsKey(k) ? num(b.get(k)) : "–")
                        .append("</td><td>").append(num(a.get(k))).append("</td></tr>\n");
            }
            h.append("</table>\n<p>Before: the uncompressed model. After: the written file, reloaded. ")
                    .append("Agreement and KL compare it with the uncompressed model on the same text.</p>\n");
        }
        h.append("<h2>Steps</h2>\n");
        if (r.steps().isEmpty()) {
            h.append("<p>No compression steps: the model was converted as it is.</p>\n");
        }
        for (PipelineResult.StepOutcome s : r.steps()) {
            CompressionReport rep = s.report();
            h.append("<h3>").append(esc(s.name())).append(String.format(Locale.ROOT, " (%.1f s)", s.millis() / 1000.0))
                    .append("</h3>\n<table>");
            rep.metrics().forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(num(v)))
                    .append("</td></tr>"));
            h.append("</table>\n");
            if (!rep.rows().isEmpty()) {
                List<String> cols = new ArrayList<>(rep.rows().get(0).keySet());
                h.append("<table><tr>");
                cols.forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
                h.append("</tr>\n");
                for (Map<String, Object> row : rep.rows()) {
                    h.append("<tr>");
                    cols.forEach(c -> h.append("<td>").append(esc(num(row.get(c)))).append("</td>"));
                    h.append("</tr>\n");
                }
                h.append("</table>\n");
            }
        }
        h.append("<p style=\"color:#888;margin-top:3em\">Written by rwkv-edge in ")
                .append(String.format(Locale.ROOT, "%.1f s", r.millis() / 1000.0)).append(".</p></body></html>\n");
        return h.toString();
    }

    /** Stored and resident bytes by component before and after, the after model's on-demand bytes, and the ratios. */
    private static String memoryTable(PipelineResult r) {
        MemoryAccount b = r.memoryBefore();
        MemoryAccount a = r.memoryAfter();
        StringBuilder h = new StringBuilder("<h2>Memory</h2>\n<p>As the runtime binds each model. <i>Stored</i>: bytes in "
                + "the file. <i>Resident</i>: must stay in RAM (read for every token, or copied at load). <i>On demand</i>: "
                + "mapped rows of which a token reads only some (FFN rows, head rows, the table behind an embedding cache); "
                + "<i>touched/token</i>: the expected share of those a token reads, as the compressors measured it.</p>\n");
        h.append("<table><tr><th>component</th><th>stored before</th><th>stored after</th><th>resident before</th>")
                .append("<th>resident after</th><th>on demand after</th><th>touched/token after</th></tr>\n");
        Set<Component> comps = EnumSet.noneOf(Component.class);
        comps.addAll(b.components().keySet());
        comps.addAll(a.components().keySet());
        for (Component c : comps) {
            h.append(memoryRow(c.id(), b.components().get(c), a.components().get(c), "td"));
        }
        h.append(memoryRow("total", b.total(), a.total(), "th")).append("</table>\n");
        h.append(String.format(Locale.ROOT, "<p>Dense model of this shape: %,d parameters, %s at FP16, %s at FP32. "
                        + "Resident after: <b>%.2f×</b> less than dense FP16 (%.2f× FP32); stored after: %.2f× less than "
                        + "FP16 (%.2f× FP32). Resident before → after: %.2f×.</p>\n",
                a.dense().parameters(), mib(a.dense().fp16Bytes()), mib(a.dense().fp32Bytes()), a.ratioVsFp16(),
                a.ratioVsFp32(), a.storedRatioVsFp16(), a.storedRatioVsFp32(),
                (double) b.total().resident() / Math.max(1, a.total().resident())));
        return h.toString();
    }

    private static String memoryRow(String name, MemoryAccount.Row before, MemoryAccount.Row after, String cell) {
        MemoryAccount.Row none = new MemoryAccount.Row(0, 0, 0, 0);
        MemoryAccount.Row b = before == null ? none : before;
        MemoryAccount.Row a = after == null ? none : after;
        String touched = Double.isNaN(a.touchedPerToken()) ? "unknown" : a.onDemand() == 0 ? "–"
                : a.touchedPerToken() < 1 << 20 ? String.format(Locale.ROOT, "%.1f KiB", a.touchedPerToken() / 1024)
                : mib(Math.round(a.touchedPerToken()));
        StringBuilder s = new StringBuilder("<tr>");
        for (String v : new String[] {name, mib(b.stored()), mib(a.stored()), mib(b.resident()), mib(a.resident()),
                mib(a.onDemand()), touched}) {
            s.append('<').append(cell).append('>').append(esc(v)).append("</").append(cell).append('>');
        }
        return s.append("</tr>\n").toString();
    }

    private static double metric(EvalResult e, boolean byteLevel) {
        return byteLevel ? e.bitsPerByte() : e.perplexity();
    }

    /** Horizontal bars: one pair (before grey, after green) per component, scaled to the largest. */
    private static String barChart(PipelineResult r) {
        Set<Component> comps = EnumSet.noneOf(Component.class);
        comps.addAll(r.bytesBefore().keySet());
        comps.addAll(r.bytesAfter().keySet());
        long max = 1;
        for (Component c : comps) {
            max = Math.max(max, Math.max(r.bytesBefore().getOrDefault(c, 0L), r.bytesAfter().getOrDefault(c, 0L)));
        }
        int rowH = 34;
        int labelW = 110;
        int barW = 560;
        int height = comps.size() * rowH + 30;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(labelW + barW + 230).append("\" height=\"")
                .append(height).append("\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\n");
        int y = 10;
        for (Component c : comps) {
            long b = r.bytesBefore().getOrDefault(c, 0L);
            long a = r.bytesAfter().getOrDefault(c, 0L);
            int wb = (int) Math.round((double) b / max * barW);
            int wa = (int) Math.round((double) a / max * barW);
            s.append("<text x=\"0\" y=\"").append(y + 18).append("\">").append(c.id()).append("</text>\n");
            s.append("<rect x=\"").append(labelW).append("\" y=\"").append(y).append("\" width=\"").append(Math.max(1, wb))
                    .append("\" height=\"12\" fill=\"#b0b0b0\"><title>before ").append(mib(b)).append("</title></rect>\n");
            s.append("<rect x=\"").append(labelW).append("\" y=\"").append(y + 14).append("\" width=\"").append(Math.max(1, wa))
                    .append("\" height=\"12\" fill=\"#2e9e5b\"><title>after ").append(mib(a)).append("</title></rect>\n");
            s.append("<text x=\"").append(labelW + Math.max(wb, wa) + 6).append("\" y=\"").append(y + 18).append("\">")
                    .append(mib(b)).append(" → ").append(mib(a)).append("</text>\n");
            y += rowH;
        }
        s.append("<rect x=\"").append(labelW).append("\" y=\"").append(y + 4).append("\" width=\"10\" height=\"10\" fill=\"#b0b0b0\"/>")
                .append("<text x=\"").append(labelW + 14).append("\" y=\"").append(y + 13).append("\">before</text>")
                .append("<rect x=\"").append(labelW + 70).append("\" y=\"").append(y + 4).append("\" width=\"10\" height=\"10\" fill=\"#2e9e5b\"/>")
                .append("<text x=\"").append(labelW + 84).append("\" y=\"").append(y + 13).append("\">after</text>\n</svg>\n");
        return s.toString();
    }
}
