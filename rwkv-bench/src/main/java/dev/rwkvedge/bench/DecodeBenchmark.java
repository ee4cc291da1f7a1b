package dev.rwkvedge.bench;

import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One whole decode step ({@code Session.eval(token, logits)}) of a synthetic 169M-class RWKV v5.2 model
 * (12 layers, 768, World vocabulary 65536, head size 64) per weight type and backend; BF16, block types and I8
 * (per-row INT8) convert
 * the 2-D matrices of the F16 model except embedding and head, which stay F16, as rwkv_quantize does from an FP16
 * file. Weights live in
 * native memory, like a mapped file.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class DecodeBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "I8"})
    public String dtype;

    @Param({"scalar", "vector"})
    public String backend;

    @Param({"0"})
    public int threads;

    @Param({"v5.2"})
    public String version;

    private RwkvModel model;
    private Session session;
    private float[] logits;
    private int token;

    @Setup(Level.Trial)
    public void setUp() {
        DType type = DType.parse(dtype);
        SynthSpec spec = new SynthSpec(RwkvVersion.parse(version), 12, 768, 65536, 0, 64,
                type == DType.F32 ? DType.F32 : DType.F16, 1);
        ModelWeights w = SyntheticModel.generate(spec);
        if (type != DType.F32 && type != DType.F16) {
            w = BenchWeights.convertMatrices(w, type);
        }
        model = RwkvModel.of(BenchWeights.toNative(w), KernelBackends.create(backend, threads), true);
        session = model.newSession();
        logits = new float[spec.vocab()];
        token = 1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public float[] decodeToken() {
        session.eval(token, logits);
        token = (token * 31 + 7) & 0xFFFF;
        return logits;
    }
}
