package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.spi.Params;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LowRankSettingsTest {
    private static LowRankSettings parse(Map<String, ?> m) {
        return LowRankSettings.parse(new Params("lowrank", m));
    }

    private static void assertRejected(Map<String, ?> m, String... fragments) {
        RwkvException e = assertThrows(RwkvException.class, () -> new LowRankCompressorProvider()
                .create(new Params("lowrank", m)));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' lacks " + f);
        }
    }

    @Test
    void registeredUnderItsName() {
        assertTrue(Compressors.registry().available().contains("lowrank"), Compressors.registry().available().toString());
    }

    @Test
    void defaultsAreThePapers() {
        LowRankSettings s = parse(Map.of());
        assertEquals(RankRule.DEFAULT, s.rule());
        assertEquals(Method.SVD, s.method());
        assertNull(s.dtype());
        for (int l : new int[] {0, 23}) {
            for (String p : List.of("att.receptance", "att.key", "att.value", "att.gate", "ffn.receptance")) {
                assertTrue(s.selects("blocks." + l + "." + p + ".weight"), p);
            }
            for (String p : List.of("att.output", "ffn.key", "ffn.value")) {
                assertTrue(!s.selects("blocks." + l + "." + p + ".weight"), p);
            }
        }
        assertTrue(!s.selects("head.weight"));
    }

    @Test
    void overridesApplyFirstMatchInOrder() {
        Map<String, Object> ov = new LinkedHashMap<>();
        ov.put("blocks.*.att.key.weight", Map.of("rank-ratio", 0.25));
        ov.put("blocks.**", Map.of("rank", 3));
        LowRankSettings s = parse(Map.of("rank-ratio", 0.5, "overrides", ov, "method", "activation-aware",
                "dtype", "bf16", "targets", List.of("blocks.*.att.{key,value}.weight")));
        assertEquals(16, s.ruleFor("blocks.7.att.key.weight").rank(64, 64, null));
        assertEquals(3, s.ruleFor("blocks.7.att.value.weight").rank(64, 64, null));
        assertEquals(Method.ACTIVATION_AWARE, s.method());
        assertTrue(s.selects("blocks.12.att.value.weight"));
        assertTrue(!s.selects("blocks.12.att.receptance.weight"));
        assertTrue(!s.selects("blocks.1.2.att.key.weight"), "* stays within one segment");
    }

    @Test
    void unknownParametersNameStepAndKey() {
        assertRejected(Map.of("rnak", 3), "step 'lowrank'", "rnak");
        assertRejected(Map.of("overrides", Map.of("blocks.*.att.key.weight", Map.of("rank", 4, "ratio", 2))),
                "lowrank", "ratio");
        assertRejected(Map.of("overrides", Map.of("blocks.*.att.key.weight", Map.of())), "'overrides'",
                "one of rank");
        assertRejected(Map.of("method", "qr"), "'method'", "svd or activation-aware");
        assertRejected(Map.of("dtype", "q8_0"), "'dtype'");
        assertRejected(Map.of("targets", "blocks.{a,b"), "'targets'", "glob");
        assertRejected(Map.of("damping", -1), "'damping'");
        assertRejected(Map.of("solver", "magic"), "'solver'");
    }
}
