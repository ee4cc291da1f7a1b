package dev.rwkvedge.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Console logging for the CLI: one line per record on stderr; INFO (e.g. which backend {@code auto} chose and why)
 * only with {@code --verbose}, warnings always. The library logs through {@link System.Logger}, which the JDK
 * routes to java.util.logging.
 */
final class Logging {
    private Logging() {
    }

    static void configure(boolean verbose) {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new SimpleFormatter() {
            @Override
            public String format(LogRecord r) {
                return "rwkv-edge: " + r.getLevel().getName().toLowerCase(java.util.Locale.ROOT) + ": "
                        + formatMessage(r) + System.lineSeparator();
            }
        });
        Level level = verbose ? Level.INFO : Level.WARNING;
        console.setLevel(level);
        root.setLevel(level);
        root.addHandler(console);
    }
}
