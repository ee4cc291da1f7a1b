package dev.rwkvedge.compress.quant;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.Params;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Strict parameters: every bad value or unknown key is an error naming the step and the key. */
class QuantizeSettingsTest {
    private static RwkvException bad(Map<String, ?> params) {
        return assertThrows(RwkvException.class,
                () -> new QuantizeCompressorProvider().create(new Params("quantize", params)));
    }

    private static void assertNames(RwkvException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void defaults() {
        QuantizeSettings s = QuantizeSettings.parse(new Params("quantize", Map.of()));
        assertEquals(QuantType.INT8, s.type());
        assertFalse(s.targetsGiven());
        assertTrue(s.targeted("blocks.3.att.key.weight.lowrank.a"));
        assertEquals(4096, s.minElements());
        for (String n : List.of("emb.weight", "blocks.0.att.time_decay_w1", "blocks.11.att.time_decay_w2",
                "blocks.2.att.w1", "blocks.2.att.w2", "blocks.5.ffn.predictor.p1")) {
            assertTrue(s.excludedBy(n) != null, n);
        }
        for (String n : List.of("head.weight", "head.clusters.weight", "blocks.0.att.time_maa_w1", "blocks.0.att.a1",
                "blocks.0.ffn.sparse.key")) {
            assertTrue(s.excludedBy(n) == null, n);
        }
    }

    @Test
    void unknownDtypeNamesTheKeyAndTheChoices() {
        assertNames(bad(Map.of("dtype", "q4_k")), "quantize", "'dtype'", "q4_k",
                "int8, q8_0, q5_1, q5_0, q4_1 or q4_0");
    }

    @Test
    void everyGgmlBlockTypeParses() {
        for (String d : List.of("q5_1", "Q5_0", "q4_1", "q4_0")) {
            QuantType t = QuantizeSettings.parse(new Params("quantize", Map.of("dtype", d))).type();
            assertEquals(d.toLowerCase(java.util.Locale.ROOT), t.id);
            assertTrue(t.isBlock(), d);
        }
    }

    @Test
    void badGlobsNameTheKey() {
        assertNames(bad(Map.of("targets", List.of("blocks.{0,1.att.key.weight"))), "'targets'", "blocks.{0,1");
        assertNames(bad(Map.of("exclude", "head}")), "'exclude'", "head}");
        assertNames(bad(Map.of("targets", List.of())), "'targets'");
    }

    @Test
    void unknownKeysAndBadNumbersAreErrors() {
        assertNames(bad(Map.of("dtype", "int8", "rank-ratio", 0.5)), "quantize", "unknown parameter", "rank-ratio");
        assertNames(bad(Map.of("min-elements", -1)), "'min-elements'", "-1");
        assertNames(bad(Map.of("min-elements", "lots")), "'min-elements'", "lots");
    }

    @Test
    void q8_0AndOwnGlobsParse() {
        QuantizeSettings s = QuantizeSettings.parse(new Params("quantize",
                Map.of("dtype", "Q8_0", "targets", "blocks.*.ffn.{key,value}.weight", "exclude", List.of(),
                        "min-elements", 0)));
        assertEquals(QuantType.Q8_0, s.type());
        assertTrue(s.targetsGiven());
        assertTrue(s.targeted("blocks.7.ffn.value.weight"));
        assertFalse(s.targeted("blocks.7.att.value.weight"));
        assertTrue(s.exclude().isEmpty());
        assertEquals(0, s.minElements());
    }
}
