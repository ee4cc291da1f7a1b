package dev.rwkvedge.cli;

import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code logits}: runs token ids through a model and writes the logits after every token. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Feed token ids to a model and write the logits after every token as float32 little-endian "
                + "(steps × vocab).")
final class LogitsCommand implements Callable<Integer> {
    enum Mode { serial, sequence }

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file.")
    Path model;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "IDS", description = "Token ids, e.g. 34,105,110.")
    int[] tokens;

    @Option(names = "--mode", defaultValue = "serial", description = "serial (one token at a time) or sequence "
            + "(the whole prompt per matrix product); both give the same logits (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file for the logits.")
    Path out;

    @Option(names = "--state-out", paramLabel = "FILE", description = "Also save the final state here.")
    Path stateOut;

    @Mixin
    BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        try (RwkvModel m = Rwkv.load(model, backend.toLoadOptions())) {
            int vocab = m.config().nVocab();
            for (int t : tokens) {
                if (t < 0 || t >= vocab) {
                    throw new IllegalArgumentException("--tokens: id " + t + " is outside the model's vocabulary 0.." + (vocab - 1));
                }
            }
            Session s = m.newSession();
            float[][] logits;
            if (mode == Mode.sequence) {
                logits = s.evalSequenceAllLogits(tokens);
            } else {
                logits = new float[tokens.length][];
                for (int i = 0; i < tokens.length; i++) {
                    logits[i] = s.eval(tokens[i]);
                }
            }
            AtomicFiles.writeStream(out, os -> {
                ByteBuffer row = ByteBuffer.allocate(vocab * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] l : logits) {
                    row.clear();
                    row.asFloatBuffer().put(l);
                    os.write(row.array());
                }
            });
            if (stateOut != null) {
                AtomicFiles.writeStream(stateOut, os -> s.state().save(os));
            }
        }
        return 0;
    }
}
