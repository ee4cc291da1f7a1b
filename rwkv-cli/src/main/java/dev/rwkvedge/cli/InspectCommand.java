package dev.rwkvedge.cli;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.json.Json;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code inspect}: what a model file holds: version, dimensions, dtypes, parameters and bytes by component, and the
 * memory account of the model as the engine binds it (stored, resident, on-demand and per-token bytes by component,
 * ratios against the dense FP16/FP32 model). Binding uses the scalar backend: it only decides which operator serves
 * each map, nothing is computed.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's version, dimensions, data types, parameter and byte counts by component, and its "
                + "memory account: stored, resident, on-demand and per-token bytes by component against the dense "
                + "FP16/FP32 model.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file.")
    Path model;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "NAME", description = "File format (default: auto).")
    String format;

    @Option(names = "--json", description = "Print one JSON object instead of tables.")
    boolean json;

    @Option(names = "--tensors", description = "Also list every tensor.")
    boolean tensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (ModelWeights w = WeightFormats.open(model, format)) {
            ModelConfig c = ModelConfig.of(w);
            Map<Component, long[]> byComponent = new EnumMap<>(Component.class);
            Map<String, long[]> byType = new TreeMap<>();
            for (Tensor t : w.tensors()) {
                long[] pc = byComponent.computeIfAbsent(Component.of(t.name()), k -> new long[2]);
                pc[0] += t.elementCount();
                pc[1] += t.byteSize();
                long[] bt = byType.computeIfAbsent(t.dtype().id(), k -> new long[2]);
                bt[0]++;
                bt[1] += t.byteSize();
            }
            // A file inspect can read may still not bind (an operator whose provider is not installed): the account
            // then says why instead of failing the whole command.
            Map<String, Object> memory;
            try (KernelBackend backend = KernelBackends.create("scalar", 1)) {
                memory = RwkvModel.of(w, backend, false).memoryAccount().toMap();
            } catch (RwkvException e) {
                memory = Map.of("error", e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> o = toJson(w, c, byComponent, byType);
                o.put("memory", memory);
                out.println(Json.write(o));
            } else {
                printText(out, w, c, byComponent, byType, memory);
            }
            out.flush();
        }
        return 0;
    }

    private Map<String, Object> toJson(ModelWeights w, ModelConfig c, Map<Component, long[]> byComponent,
                                       Map<String, long[]> byType) throws java.io.IOException {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", model.toString());
        o.put("format", w.format());
        o.put("file_bytes", Files.size(model));
        o.put("version", c.version().id());
        o.put("n_layer", c.nLayer());
        o.put("n_embd", c.nEmbd());
        o.put("n_vocab", c.nVocab());
        o.put("ffn_dim", c.ffnDim());
        o.put("head_size", c.headSize());
        o.put("n_head", c.nHead());
        o.put("state_floats", c.stateLength());
        o.put("parameters", w.parameterCount());
        o.put("tensor_bytes", w.byteSize());
        o.put("synthetic", "true".equals(w.metadata().get("synthetic")));
        Map<String, Object> comps = new LinkedHashMap<>();
        byComponent.forEach((k, v) -> comps.put(k.id(), Map.of("parameters", v[0], "bytes", v[1])));
        o.put("components", comps);
        Map<String, Object> types = new LinkedHashMap<>();
        byType.forEach((k, v) -> types.put(k, Map.of("tensors", v[0], "bytes", v[1])));
        o.put("dtypes", types);
        o.put("metadata", w.metadata());
        if (tensors) {
            List<Object> ts = new ArrayList<>();
            for (Tensor t : w.tensors()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", t.name());
                m.put("dtype", t.dtype().id());
                m.put("shape", t.shape());
                m.put("bytes", t.byteSize());
                if (t.hasRowScale()) {
                    m.put("row_scale", Tensor.rowScaleName(t.name()));
                }
                ts.add(m);
            }
            o.put("tensors", ts);
        }
        return o;
    }

    private void printText(PrintWriter out, ModelWeights w, ModelConfig c, Map<Component, long[]> byComponent,
                           Map<String, long[]> byType, Map<String, Object> memory) throws java.io.IOException {
        out.printf("file        %s (%s, %s)%n", model, w.format(), Table.bytes(Files.size(model)));
        out.printf("model       RWKV %s%s, %d layers, n_embd %d, vocab %d, ffn %d%n", c.version().id(),
                "true".equals(w.metadata().get("synthetic")) ? " (synthetic)" : "",
                c.nLayer(), c.nEmbd(), c.nVocab(), c.ffnDim());
        if (c.version().hasMatrixState()) {
            out.printf("heads       %d × head size %d%n", c.nHead(), c.headSize());
        }
        out.printf("state       %d floats (%s)%n", c.stateLength(), Table.bytes(4L * c.stateLength()));
        out.printf("parameters  %,d in %d tensors, %s%n%n", w.parameterCount(), w.tensors().size(), Table.bytes(w.byteSize()));
        List<String[]> rows = new ArrayList<>();
        long total = w.byteSize();
        byComponent.forEach((k, v) -> rows.add(new String[] {k.id(), String.format("%,d", v[0]), Table.bytes(v[1]),
                String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * v[1] / Math.max(1, total))}));
        Table.print(out, new String[] {"COMPONENT", "PARAMETERS", "BYTES", "SHARE"}, rows);
        out.println();
        List<String[]> types = new ArrayList<>();
        byType.forEach((k, v) -> types.add(new String[] {k, Long.toString(v[0]), Table.bytes(v[1])}));
        Table.print(out, new String[] {"DTYPE", "TENSORS", "BYTES"}, types);
        out.println();
        if (memory.containsKey("error")) {
            out.println("memory account unavailable: " + memory.get("error"));
        } else {
            MemoryTable.print(out, memory);
        }
        if (tensors) {
            out.println();
            List<String[]> ts = new ArrayList<>();
            for (Tensor t : w.tensors()) {
                String type = t.dtype().id() + (t.hasRowScale() ? " (row-scaled)" : "");
                ts.add(new String[] {t.name(), type, java.util.Arrays.toString(t.shape()), Table.bytes(t.byteSize())});
            }
            Table.print(out, new String[] {"TENSOR", "DTYPE", "SHAPE", "BYTES"}, ts);
        }
    }
}
