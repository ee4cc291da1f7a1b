package dev.rwkvedge.cli;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.registry.WeightFormats;
import dev.rwkvedge.spi.WeightFormatProvider;
import dev.rwkvedge.spi.WriteOptions;
import dev.rwkvedge.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code convert}: between model formats and float types. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a model between formats (rwkv-cpp .bin, pth, safetensors, rwkv-edge) and float types. "
                + "The output is written to a temporary file and moved into place.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "Input model.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output file.")
    Path out;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "NAME",
            description = "Output format; auto picks it from the extension (.bin, .pth, .safetensors, .rwkv-edge).")
    String format;

    @Option(names = "--input-format", defaultValue = "auto", paramLabel = "NAME", description = "Input format (default: auto).")
    String inputFormat;

    @Option(names = "--dtype", paramLabel = "TYPE", description = "f32, f16 or bf16 for the large matrices (default: keep).")
    String dtype;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DType t = null;
        if (dtype != null) {
            t = DType.parse(dtype);
            if (!t.isFloat()) {
                throw new IllegalArgumentException("--dtype must be f32, f16 or bf16; quantize with a pipeline step");
            }
        }
        if (Files.exists(in) && Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException(out + ": output is the input file; write to another path");
        }
        WeightFormatProvider writer = OutputFormats.forOutput(out, format);
        try (ModelWeights w = WeightFormats.open(in, inputFormat)) {
            writer.write(w, out, new WriteOptions(t));
        }
        spec.commandLine().getOut().println("wrote " + out + " (" + writer.name() + ", " + Table.bytes(Files.size(out)) + ")");
        return 0;
    }
}
