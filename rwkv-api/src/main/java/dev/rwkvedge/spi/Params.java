package dev.rwkvedge.spi;

import dev.rwkvedge.RwkvException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A compressor step's parameters as a consuming map: each getter removes the key it reads, and
 * {@link #requireAllConsumed()} fails naming the step and any key nobody read (a typo, or an option of
 * another compressor).
 */
public final class Params {
    private final String step;
    private final Map<String, Object> remaining;

    public Params(String step, Map<String, ?> values) {
        this.step = step;
        this.remaining = new LinkedHashMap<>(values);
    }

    public String step() {
        return step;
    }

    public Optional<Object> take(String key) {
        return Optional.ofNullable(remaining.remove(key));
    }

    public String getString(String key, String defaultValue) {
        return take(key).map(String::valueOf).orElse(defaultValue);
    }

    public double getDouble(String key, double defaultValue) {
        Object v = remaining.remove(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw bad(key, v, "a number");
        }
    }

    public int getInt(String key, int defaultValue) {
        Object v = remaining.remove(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            return Math.toIntExact(((Number) v).longValue());
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw bad(key, v, "a whole number");
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        Object v = remaining.remove(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        return switch (v.toString().trim()) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw bad(key, v, "true or false");
        };
    }

    /** A list of strings; a single string becomes a one-element list. */
    public List<String> getStrings(String key, List<String> defaultValue) {
        Object v = remaining.remove(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        return List.of(v.toString());
    }

    public RwkvException bad(String key, Object value, String expected) {
        return new RwkvException("step '" + step + "': parameter '" + key + "' is " + value + ", expected " + expected);
    }

    /** @throws RwkvException naming the step and every key that was not consumed */
    public void requireAllConsumed() {
        if (!remaining.isEmpty()) {
            throw new RwkvException("step '" + step + "': unknown parameter" + (remaining.size() > 1 ? "s " : " ")
                    + String.join(", ", remaining.keySet()));
        }
    }
}
