package dev.rwkvedge.cli;

import dev.rwkvedge.LoadOptions;
import picocli.CommandLine.Option;

/** Options shared by commands that load and run a model. */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "Kernel backend: auto or a name from 'rwkv-edge plugins' (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Worker threads (0 = all cores; default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "NAME",
            description = "Model file format, or auto to detect it (default: ${DEFAULT-VALUE}).")
    String format;

    LoadOptions toLoadOptions() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be 0 (all cores) or more, got " + threads);
        }
        return new LoadOptions(format, backend, threads);
    }
}
