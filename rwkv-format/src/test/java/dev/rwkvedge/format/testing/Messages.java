package dev.rwkvedge.format.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Assertions on error messages: they must name what is wrong. */
public final class Messages {
    private Messages() {
    }

    /** Asserts that the message of {@code e} contains every one of {@code parts}. */
    public static void assertMentions(Throwable e, String... parts) {
        String m = String.valueOf(e.getMessage());
        for (String p : parts) {
            if (!m.contains(p)) {
                fail("message does not mention \"" + p + "\": " + m);
            }
        }
    }
}
