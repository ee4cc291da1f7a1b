package dev.rwkvedge.pipeline.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rwkvedge.pipeline.PipelineException;
import dev.rwkvedge.pipeline.Problem;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML into {@link YamlNode}s with Jackson's streaming YAML parser (which keeps every token's location).
 * Duplicate keys are reported rather than silently overwritten; nesting deeper than {@value #MAX_DEPTH} is a syntax
 * problem.
 */
public final class YamlReader {
    /**
     * Deepest nesting of mappings and lists accepted. A descriptor nests four levels deep; the limit stops hostile
     * input such as thousands of {@code [} before the parser's context stacks (and this reader's recursion) grow.
     */
    static final int MAX_DEPTH = 64;
    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();
    private final List<Problem> problems = new ArrayList<>();

    private YamlReader() {
    }

    /**
     * @throws PipelineException with every syntax problem and duplicate key, each with its location
     */
    public static YamlNode parse(String source, String text) {
        YamlReader r = new YamlReader();
        YamlNode root;
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new PipelineException(source, List.of(new Problem(1, 1, "the file is empty")));
            }
            root = r.node(p, t);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String msg = e.getOriginalMessage().split("\\R")[0];
            r.problems.add(new Problem(loc == null ? 1 : loc.getLineNr(), loc == null ? 1 : loc.getColumnNr(),
                    "YAML syntax: " + msg));
            throw new PipelineException(source, r.problems);
        } catch (IOException e) {
            throw new PipelineException(source, List.of(new Problem(1, 1, "cannot read: " + e.getMessage())));
        }
        if (!r.problems.isEmpty()) {
            throw new PipelineException(source, r.problems);
        }
        return root;
    }

    private static YamlNode.Location loc(JsonParser p) {
        JsonLocation l = p.currentTokenLocation();
        return new YamlNode.Location(l.getLineNr(), l.getColumnNr());
    }

    private YamlNode node(JsonParser p, JsonToken t) throws IOException {
        YamlNode.Location at = loc(p);
        return switch (t) {
            case START_OBJECT -> {
                Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    YamlNode.Location keyAt = loc(p);
                    YamlNode value = node(p, p.nextToken());
                    if (entries.containsKey(key)) {
                        problems.add(new Problem(keyAt.line(), keyAt.column(), "duplicate key '" + key
                                + "' (first at " + entries.get(key).keyLocation() + ")"));
                    } else {
                        entries.put(key, new YamlNode.Entry(key, keyAt, value));
                    }
                }
                yield new YamlNode.MapNode(at, entries);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
                    items.add(node(p, i));
                }
                yield new YamlNode.ListNode(at, items);
            }
            case VALUE_STRING -> new YamlNode.ScalarNode(at, p.getText());
            case VALUE_NUMBER_INT -> new YamlNode.ScalarNode(at, p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? (Object) p.getText() : (Object) p.getLongValue());
            case VALUE_NUMBER_FLOAT -> new YamlNode.ScalarNode(at, p.getDoubleValue());
            case VALUE_TRUE -> new YamlNode.ScalarNode(at, Boolean.TRUE);
            case VALUE_FALSE -> new YamlNode.ScalarNode(at, Boolean.FALSE);
            case VALUE_NULL -> new YamlNode.ScalarNode(at, null);
            default -> throw new IOException("unexpected YAML token " + t);
        };
    }
}
