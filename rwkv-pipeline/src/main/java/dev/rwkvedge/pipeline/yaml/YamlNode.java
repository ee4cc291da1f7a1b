package dev.rwkvedge.pipeline.yaml;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree whose every node knows where it stands in the file, so that validation can report
 * each problem with {@code line:col}.
 */
public sealed interface YamlNode {
    Location location();

    /** 1-based line and column. */
    record Location(int line, int column) {
        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    /** A mapping; keys keep their own locations. */
    record MapNode(Location location, Map<String, Entry> entries) implements YamlNode {
        public MapNode {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        public YamlNode get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }
    }

    /** One key of a mapping. */
    record Entry(String key, Location keyLocation, YamlNode value) {
    }

    record ListNode(Location location, List<YamlNode> items) implements YamlNode {
        public ListNode {
            items = List.copyOf(items);
        }
    }

    /**
     * A scalar: {@code value} is a String, Long, Double, Boolean or null, as YAML typed it.
     */
    record ScalarNode(Location location, Object value) implements YamlNode {
        public String text() {
            return value == null ? "null" : value.toString();
        }
    }

    /** Plain Java form (maps, lists, scalars), e.g. for compressor parameters. */
    static Object toPlain(YamlNode n) {
        return switch (n) {
            case ScalarNode s -> s.value();
            case ListNode l -> l.items().stream().map(YamlNode::toPlain).toList();
            case MapNode m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.entries().forEach((k, e) -> out.put(k, toPlain(e.value())));
                yield out;
            }
        };
    }

    /** A word for the node's kind, for messages ("a mapping", "a list", "a number"…). */
    static String describe(YamlNode n) {
        return switch (n) {
            case MapNode m -> "a mapping";
            case ListNode l -> "a list";
            case ScalarNode s -> switch (s.value()) {
                case null -> "null";
                case String str -> "the text '" + str + "'";
                case Boolean b -> "the boolean " + b;
                default -> "the number " + s.value();
            };
        };
    }
}
