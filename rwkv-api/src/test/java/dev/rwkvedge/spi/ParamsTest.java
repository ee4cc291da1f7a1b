package dev.rwkvedge.spi;

import dev.rwkvedge.RwkvException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamsTest {
    @Test
    void unknownKeysNameStepAndKey() {
        Params p = new Params("lowrank", Map.of("rank-ratio", 0.25, "rnak", 8));
        assertEquals(0.25, p.getDouble("rank-ratio", 1));
        RwkvException e = assertThrows(RwkvException.class, p::requireAllConsumed);
        assertTrue(e.getMessage().contains("lowrank") && e.getMessage().contains("rnak"), e.getMessage());
    }

    @Test
    void badValuesSayWhatIsExpected() {
        Params p = new Params("quantize", Map.of("bits", "eight"));
        RwkvException e = assertThrows(RwkvException.class, () -> p.getInt("bits", 8));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
    }
}
