package dev.rwkvedge.cli;

import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.pipeline.Descriptor;
import dev.rwkvedge.pipeline.DescriptorParser;
import dev.rwkvedge.pipeline.PipelineResult;
import dev.rwkvedge.pipeline.PipelineRunner;
import dev.rwkvedge.pipeline.Plugins;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code compress}: runs a YAML pipeline and prints the before/after table. */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Run a compression pipeline (YAML): load or synthesise a model, apply the steps, write the output "
                + "and report.json/report.html, and print what shrank and what it cost.")
final class CompressCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "Pipeline descriptor.")
    Path pipeline;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Folder of plugin jars (compressors, formats, backends).")
    List<Path> plugins = new ArrayList<>();

    @Option(names = "--validate-only", description = "Check the descriptor and stop.")
    boolean validateOnly;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (Path p : plugins) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("--plugins " + p + ": no such folder");
            }
        }
        if (!plugins.isEmpty()) {
            Plugins.load(plugins);
        }
        Descriptor d = DescriptorParser.parse(pipeline);
        if (validateOnly) {
            out.println(pipeline + ": valid (" + d.steps().size() + " steps)");
            return 0;
        }
        PipelineResult r = PipelineRunner.run(d, new ConsoleProgress(err));
        printSummary(out, r);
        return 0;
    }

    static void printSummary(PrintWriter out, PipelineResult r) {
        out.println();
        out.printf("%s → %s%n%n", r.modelName(), r.output());
        List<String[]> rows = new ArrayList<>();
        Set<Component> comps = EnumSet.noneOf(Component.class);
        comps.addAll(r.bytesBefore().keySet());
        comps.addAll(r.bytesAfter().keySet());
        for (Component c : comps) {
            long b = r.bytesBefore().getOrDefault(c, 0L);
            long a = r.bytesAfter().getOrDefault(c, 0L);
            rows.add(new String[] {c.id(), Table.bytes(b), Table.bytes(a), b == 0 ? "new" : String.format(Locale.ROOT, "%.3f", (double) a / b)});
        }
        rows.add(new String[] {"total", Table.bytes(r.totalBefore()), Table.bytes(r.totalAfter()),
                String.format(Locale.ROOT, "%.3f", (double) r.totalAfter() / Math.max(1, r.totalBefore()))});
        Table.print(out, new String[] {"COMPONENT", "BEFORE", "AFTER", "RATIO"}, rows);
        out.printf(Locale.ROOT, "resident parameters %s → %s; after: %.2f× less than the dense FP16 model, %.2f× less "
                        + "than FP32 (report: memory by component)%n", Table.bytes(r.memoryBefore().total().resident()),
                Table.bytes(r.memoryAfter().total().resident()), r.memoryAfter().ratioVsFp16(), r.memoryAfter().ratioVsFp32());
        if (r.evalBefore() != null) {
            out.println();
            List<String[]> ev = new ArrayList<>();
            EvalResult b = r.evalBefore();
            EvalResult a = r.evalAfter();
            if (r.byteLevel()) {
                ev.add(new String[] {"bits per byte", fmt(b.bitsPerByte()), fmt(a.bitsPerByte())});
            }
            ev.add(new String[] {"perplexity", fmt(b.perplexity()), fmt(a.perplexity())});
            if (a.hasReference()) {
                ev.add(new String[] {"top-1 agreement", "1", fmt(a.top1Agreement())});
                ev.add(new String[] {"KL(dense‖out)", "0", fmt(a.kl())});
            }
            Table.print(out, new String[] {"EVAL (" + a.predicted() + " tokens)", "BEFORE", "AFTER"}, ev);
        }
        out.flush();
    }

    static String num(Object v) {
        return v instanceof Double d ? String.format(Locale.ROOT, "%.6f", d) : String.valueOf(v);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
