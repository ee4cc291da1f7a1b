package dev.rwkvedge.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesAndWritesBack() {
        Map<String, Object> o = Json.parseObject("{\"a\": [1, 2.5, -3e2, true, null], \"s\": \"x\\u00e9\\n\\\"\"}");
        assertEquals(List.of(1L, 2.5, -300.0, true), ((List<?>) o.get("a")).subList(0, 4));
        assertEquals("xé\n\"", o.get("s"));
        assertEquals(o, Json.parseObject(Json.write(o)));
    }

    @Test
    void rejectsMalformedWithOffset() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"a\": [1, 2}"));
        assertTrue(e.getMessage().contains("character"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(300)));
        assertThrows(JsonException.class, () -> Json.parse("{} x"));
    }
}
