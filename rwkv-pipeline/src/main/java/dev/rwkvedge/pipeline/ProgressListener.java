package dev.rwkvedge.pipeline;

import dev.rwkvedge.spi.CompressionContext;

/** Where a running pipeline reports progress: the CLI shows bars on a terminal and plain lines otherwise. */
public interface ProgressListener {
    /** A new task of {@code total} units (0 when unknown). */
    CompressionContext.Progress start(String task, long total);

    /** A one-line message between tasks. */
    void message(String text);

    /** A listener that shows nothing. */
    static ProgressListener silent() {
        return new ProgressListener() {
            @Override
            public CompressionContext.Progress start(String task, long total) {
                return new CompressionContext.Progress() {
                    @Override
                    public void step(long n) {
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public void message(String text) {
            }
        };
    }
}
