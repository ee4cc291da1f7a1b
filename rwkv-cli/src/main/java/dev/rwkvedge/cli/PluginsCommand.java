package dev.rwkvedge.cli;

import dev.rwkvedge.registry.Compressors;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.NamedRegistry;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackendProvider;
import dev.rwkvedge.spi.WeightFormatProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code plugins}: every registered backend, format and compressor, with version, jar and availability. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List every kernel backend, weight format and compressor found on the classpath.")
final class PluginsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<String[]> rows = new ArrayList<>();
        for (KernelBackendProvider p : KernelBackends.registry().all()) {
            Availability a = p.probe();
            rows.add(new String[] {"backend", p.name(), p.version(),
                    (a.supported() ? "available" : "unavailable") + " (priority " + p.priority() + "; " + a.reason() + ")",
                    NamedRegistry.jarOf(p.getClass())});
        }
        for (WeightFormatProvider p : WeightFormats.registry().all()) {
            rows.add(new String[] {"format", p.name(), p.version(), p.canWrite() ? "read, write" : "read",
                    NamedRegistry.jarOf(p.getClass())});
        }
        for (var p : Compressors.registry().all()) {
            rows.add(new String[] {"compressor", p.name(), p.version(), "offline", NamedRegistry.jarOf(p.getClass())});
        }
        PrintWriter out = spec.commandLine().getOut();
        Table.print(out, new String[] {"KIND", "NAME", "VERSION", "STATUS", "JAR"}, rows);
        return 0;
    }
}
