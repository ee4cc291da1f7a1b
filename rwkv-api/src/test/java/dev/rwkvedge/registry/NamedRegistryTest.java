package dev.rwkvedge.registry;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.NamedProvider;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registries over test-only SPI types whose service files live in src/test/resources. */
class NamedRegistryTest {
    /** Registered: {@link Alpha} and {@link Beta}. */
    public interface Good extends NamedProvider {
    }

    /** Registered: two different classes both named "same". */
    public interface Dup extends NamedProvider {
    }

    /** Registered: a provider with an invalid name. */
    public interface BadName extends NamedProvider {
    }

    public static final class Alpha implements Good {
        @Override
        public String name() {
            return "alpha";
        }
    }

    public static final class Beta implements Good {
        @Override
        public String name() {
            return "beta-2";
        }
    }

    public static final class Same1 implements Dup {
        @Override
        public String name() {
            return "same";
        }
    }

    public static final class Same2 implements Dup {
        @Override
        public String name() {
            return "same";
        }
    }

    public static final class Shouting implements BadName {
        @Override
        public String name() {
            return "LOUD_NAME";
        }
    }

    private static final ClassLoader LOADER = NamedRegistryTest.class.getClassLoader();

    @Test
    void findsByNameAndListsAvailableOnMiss() {
        NamedRegistry<Good> r = new NamedRegistry<>(Good.class, "widget", LOADER);
        assertEquals(java.util.List.of("alpha", "beta-2"), r.available());
        assertEquals(Alpha.class, r.forName("alpha").getClass());
        RwkvException e = assertThrows(RwkvException.class, () -> r.forName("gamma"));
        assertEquals("unknown widget 'gamma'; available: alpha, beta-2", e.getMessage());
    }

    @Test
    void twoClassesOneNameIsAnErrorNamingBoth() {
        RwkvException e = assertThrows(RwkvException.class, () -> new NamedRegistry<>(Dup.class, "widget", LOADER));
        assertTrue(e.getMessage().contains(Same1.class.getName()) && e.getMessage().contains(Same2.class.getName()),
                e.getMessage());
        assertTrue(e.getMessage().contains("'same'"), e.getMessage());
    }

    @Test
    void invalidNamesAreRejected() {
        RwkvException e = assertThrows(RwkvException.class, () -> new NamedRegistry<>(BadName.class, "widget", LOADER));
        assertTrue(e.getMessage().contains("LOUD_NAME"), e.getMessage());
        assertTrue(NamedRegistry.isValidName("rwkv-cpp"));
        assertTrue(!NamedRegistry.isValidName("9lives") && !NamedRegistry.isValidName("a_b") && !NamedRegistry.isValidName(""));
    }
}
