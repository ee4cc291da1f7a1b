package dev.rwkvedge;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadOptionsTest {
    @AfterEach
    void clear() {
        System.clearProperty(LoadOptions.RELEASE_PAGES_PROPERTY);
    }

    @Test
    void releasePagesDefaultsToOffAndComesFromTheSystemProperty() {
        assertEquals(0, LoadOptions.defaults().releasePagesEvery());
        System.setProperty("rwkv.release-pages-every", "8");
        assertEquals(8, LoadOptions.defaults().releasePagesEvery());
        assertEquals(8, LoadOptions.defaults().withThreads(2).releasePagesEvery(), "kept by the with* copies");
        assertEquals(1, LoadOptions.defaults().withReleasePagesEvery(1).releasePagesEvery(), "the option wins");
    }

    @Test
    void badReleasePagesValuesNameTheSetting() {
        System.setProperty("rwkv.release-pages-every", "-2");
        var e = assertThrows(IllegalArgumentException.class, LoadOptions::defaults);
        assertTrue(e.getMessage().contains("rwkv.release-pages-every=-2"), e.getMessage());
        System.setProperty("rwkv.release-pages-every", "often");
        assertThrows(IllegalArgumentException.class, LoadOptions::defaults);
        clear();
        e = assertThrows(IllegalArgumentException.class, () -> LoadOptions.defaults().withReleasePagesEvery(-1));
        assertTrue(e.getMessage().contains("release-pages-every"), e.getMessage());
    }
}
