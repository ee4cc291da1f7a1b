package dev.rwkvedge.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compressor's account of what it did: step-level metrics and per-item rows (for example one per matrix),
 * rendered by reports as tables. Values are numbers, strings or booleans.
 */
public final class CompressionReport {
    private final String step;
    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private final List<Map<String, Object>> rows = new ArrayList<>();

    public CompressionReport(String step) {
        this.step = step;
    }

    public String step() {
        return step;
    }

    public CompressionReport metric(String key, Object value) {
        metrics.put(key, value);
        return this;
    }

    public CompressionReport row(Map<String, Object> row) {
        rows.add(Collections.unmodifiableMap(new LinkedHashMap<>(row)));
        return this;
    }

    public Map<String, Object> metrics() {
        return Collections.unmodifiableMap(metrics);
    }

    public List<Map<String, Object>> rows() {
        return Collections.unmodifiableList(rows);
    }
}
