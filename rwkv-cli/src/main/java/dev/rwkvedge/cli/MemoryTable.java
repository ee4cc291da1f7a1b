package dev.rwkvedge.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints a memory account ({@code MemoryAccount.toMap()}, as {@code inspect}, {@code bench} and reports carry it) as a
 * table by component with totals and the ratios against the dense FP16/FP32 model; one renderer for the in-process
 * and the runtime-only bench, whose account arrives as JSON.
 */
final class MemoryTable {
    private MemoryTable() {
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter out, Map<String, Object> memory) {
        List<String[]> rows = new ArrayList<>();
        Map<String, Object> comps = (Map<String, Object>) memory.get("components");
        comps.forEach((k, v) -> rows.add(row(k, (Map<String, Object>) v)));
        rows.add(row("total", (Map<String, Object>) memory.get("total")));
        Table.print(out, new String[] {"MEMORY", "STORED", "RESIDENT", "ON DEMAND", "TOUCHED/TOKEN"}, rows);
        out.printf(Locale.ROOT, "dense model %,d parameters: FP16 %s, FP32 %s%n", number(memory, "dense_parameters"),
                Table.bytes(number(memory, "dense_fp16_bytes")), Table.bytes(number(memory, "dense_fp32_bytes")));
        out.printf(Locale.ROOT, "ratio       resident %.2f× vs FP16, %.2f× vs FP32; stored %.2f× vs FP16, %.2f× vs FP32%n",
                ratio(memory, "ratio_vs_fp16"), ratio(memory, "ratio_vs_fp32"),
                ratio(memory, "stored_ratio_vs_fp16"), ratio(memory, "stored_ratio_vs_fp32"));
        out.flush();
    }

    private static String[] row(String name, Map<String, Object> r) {
        Object touched = r.get("touched_per_token_bytes");
        long onDemand = ((Number) r.get("on_demand_bytes")).longValue();
        return new String[] {name, Table.bytes(((Number) r.get("stored_bytes")).longValue()),
                Table.bytes(((Number) r.get("resident_bytes")).longValue()), Table.bytes(onDemand),
                touched == null ? "unknown" : onDemand == 0 ? "–" : Table.bytes(((Number) touched).longValue())};
    }

    private static long number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    private static double ratio(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }
}
