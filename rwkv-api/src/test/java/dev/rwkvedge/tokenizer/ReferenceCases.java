package dev.rwkvedge.tokenizer;

import dev.rwkvedge.json.Json;
import dev.rwkvedge.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads {@code reference/tokenizer/*.json}: {@code {"cases": [{"text": …, "ids": [...]}, …]}}. */
final class ReferenceCases {
    record Case(String text, int[] ids) {
        /** A short label for test names. */
        String label() {
            String t = text.replace("\n", "\\n").replace("\t", "\\t");
            return t.length() > 40 ? t.substring(0, 40) + "…" : t.isEmpty() ? "(empty)" : t;
        }
    }

    private ReferenceCases() {
    }

    @SuppressWarnings("unchecked")
    static List<Case> load(String relative) {
        String json;
        try {
            json = Files.readString(Fixtures.require(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> out = new ArrayList<>();
        for (Object o : (List<Object>) Json.parseObject(json).get("cases")) {
            Map<String, Object> c = (Map<String, Object>) o;
            List<Object> ids = (List<Object>) c.get("ids");
            out.add(new Case((String) c.get("text"), ids.stream().mapToInt(x -> ((Long) x).intValue()).toArray()));
        }
        if (out.isEmpty()) {
            throw new AssertionError(relative + " has no cases");
        }
        return out;
    }

    static String corpus() {
        try {
            return Files.readString(Fixtures.require("corpus/tinyshakespeare.txt"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
