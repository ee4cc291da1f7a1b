package dev.rwkvedge.compress.lowrank;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.Params;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RankRuleTest {
    private static RankRule read(Map<String, ?> m) {
        Params p = new Params("lowrank", m);
        RankRule r = RankRule.read(p).orElseThrow();
        p.requireAllConsumed();
        return r;
    }

    @Test
    void ratioIsThePapersIntegerDivision() {
        RankRule k8 = read(Map.of("rank-ratio", 0.125));
        assertEquals(128, k8.rank(1024, 1024, null));
        assertEquals(8, k8.rank(64, 64, null));
        assertEquals(8, k8.rank(224, 64, null), "min(rows, cols)");
        assertEquals(1, read(Map.of("rank-ratio", "0.01")).rank(64, 64, null), "at least 1");
        assertEquals(RankRule.DEFAULT, RankRule.read(new Params("lowrank", Map.of())).orElse(RankRule.DEFAULT));
    }

    @Test
    void fixedRankIsClampedToTheMatrix() {
        assertEquals(16, read(Map.of("rank", 16)).rank(64, 64, null));
        assertEquals(64, read(Map.of("rank", 1000)).rank(64, 100, null));
    }

    @Test
    void energyKeepsTheSmallestRankReachingTheShare() {
        double[] s = {3, 2, 1, 1}; // squares 9, 4, 1, 1 of 15
        RankRule e = read(Map.of("energy", 0.8));
        assertEquals(2, e.rank(4, 4, s), "9+4 = 13/15 = 0.867 ≥ 0.8 > 9/15");
        assertEquals(1, read(Map.of("energy", 0.6)).rank(4, 4, s));
        assertEquals(3, read(Map.of("energy", 0.9)).rank(4, 4, s));
        assertEquals(4, read(Map.of("energy", 1.0)).rank(4, 4, s));
        assertTrue(e.needsSpectrum());
    }

    @Test
    void badValuesNameStepAndKey() {
        for (Map<String, ?> bad : java.util.List.<Map<String, ?>>of(Map.of("rank", 0), Map.of("rank", 2.5),
                Map.of("rank-ratio", 1.5), Map.of("energy", 0), Map.of("energy", "lots"))) {
            RwkvException e = assertThrows(RwkvException.class, () -> read(bad));
            String key = bad.keySet().iterator().next();
            assertTrue(e.getMessage().contains("'lowrank'") && e.getMessage().contains("'" + key + "'"), e.getMessage());
        }
        RwkvException two = assertThrows(RwkvException.class, () -> read(Map.of("rank", 4, "energy", 0.9)));
        assertTrue(two.getMessage().contains("only one of"), two.getMessage());
    }
}
