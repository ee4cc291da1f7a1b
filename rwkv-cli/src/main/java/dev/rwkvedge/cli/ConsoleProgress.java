package dev.rwkvedge.cli;

import dev.rwkvedge.pipeline.ProgressListener;
import dev.rwkvedge.spi.CompressionContext;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress on stderr: a bar with ETA and rate (the progressbar library) when stderr is a terminal, and plain lines
 * at every 10% when it is not (CI logs, pipes), so logs stay readable.
 */
final class ConsoleProgress implements ProgressListener {
    private final PrintWriter err;
    private final boolean terminal;

    ConsoleProgress(PrintWriter err) {
        this.err = err;
        java.io.Console c = System.console();
        this.terminal = c != null && c.isTerminal();
    }

    @Override
    public CompressionContext.Progress start(String task, long total) {
        if (terminal) {
            ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(total, 0))
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).showSpeed()
                    .setMaxRenderedLength(100).build();
            return new CompressionContext.Progress() {
                @Override
                public void step(long n) {
                    bar.stepBy(n);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        }
        long t0 = System.nanoTime();
        err.println("rwkv-edge: " + task + (total > 0 ? " (" + total + ")" : "") + " ...");
        err.flush();
        return new CompressionContext.Progress() {
            long done;
            int lastDecile;

            @Override
            public void step(long n) {
                done += n;
                if (total > 0) {
                    int decile = (int) Math.min(10, done * 10 / total);
                    if (decile > lastDecile && decile < 10) {
                        lastDecile = decile;
                        err.printf(Locale.ROOT, "rwkv-edge: %s %d%%%n", task, decile * 10);
                        err.flush();
                    }
                }
            }

            @Override
            public void close() {
                double s = Duration.ofNanos(System.nanoTime() - t0).toMillis() / 1000.0;
                err.printf(Locale.ROOT, "rwkv-edge: %s done in %.1f s%s%n", task, s,
                        done > 0 && s > 0 ? String.format(Locale.ROOT, " (%.0f/s)", done / s) : "");
                err.flush();
            }
        };
    }

    @Override
    public void message(String text) {
        err.println("rwkv-edge: " + text);
        err.flush();
    }
}
