package dev.rwkvedge.bench;

import dev.rwkvedge.operators.MlpNeuronPredictor;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.registry.KernelBackends;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One token through the MLP sparsity predictor of one layer (PAPER.md §3.3: {@code P2·relu(P1·x) + b}, then the
 * threshold), as {@code MlpNeuronPredictor.select} runs it, at the 169M (C 768, h 64, F 2688) and 430M (1024, 64,
 * 3584) shapes, P1/P2 in native memory like a mapped file. Backend {@code loop} is the implementation this replaced:
 * plain Java loops over F32 copies of the factors on the heap (F32 only), kept here as the baseline.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PredictorBenchmark {
    /** C×h×F. */
    @Param({"768x64x2688", "1024x64x3584"})
    public String shape;

    @Param({"F16", "F32"})
    public String dtype;

    @Param({"vector", "scalar", "loop"})
    public String backend;

    @Param({"0"})
    public int threads;

    private KernelBackend be;
    private MlpNeuronPredictor mlp;
    private SparseWorkspace ws;
    private float[] x;
    private int[] selected;
    private float[] p1;
    private float[] p2;
    private float[] bias;
    private float[] hidden;
    private int embd;
    private int rank;
    private int ffn;

    @Setup(Level.Trial)
    public void setUp() {
        String[] s = shape.split("x");
        embd = Integer.parseInt(s[0]);
        rank = Integer.parseInt(s[1]);
        ffn = Integer.parseInt(s[2]);
        DType type = DType.parse(dtype);
        if (backend.equals("loop") && type != DType.F32) {
            throw new IllegalArgumentException("backend loop is the old F32 heap implementation: use -p dtype=F32");
        }
        Tensor t1 = BenchWeights.random(type, rank, embd, 1);
        Tensor t2 = BenchWeights.random(type, ffn, rank, 2);
        bias = new float[ffn];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int j = 0; j < ffn; j++) {
            bias[j] = (float) rnd.nextDouble(-1, 0.5);
        }
        x = new float[embd];
        for (int i = 0; i < embd; i++) {
            x[i] = (float) rnd.nextDouble(-2, 2);
        }
        p1 = t1.toFloatArray();
        p2 = t2.toFloatArray();
        mlp = new MlpNeuronPredictor(t1, t2, bias, 0.5);
        ws = new SparseWorkspace(embd, ffn, rank);
        selected = new int[ffn];
        hidden = new float[rank];
        be = KernelBackends.create(backend.equals("loop") ? "scalar" : backend, threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public int select() {
        return backend.equals("loop") ? heapLoops() : mlp.select(be, x, 0, selected, ws);
    }

    /** The replaced implementation: σ⁻¹ comparison after plain loops over heap F32 factors. */
    private int heapLoops() {
        for (int k = 0; k < rank; k++) {
            float acc = 0;
            int base = k * embd;
            for (int i = 0; i < embd; i++) {
                acc += p1[base + i] * x[i];
            }
            hidden[k] = acc > 0 ? acc : 0;
        }
        int n = 0;
        for (int j = 0; j < ffn; j++) {
            float acc = bias[j];
            int base = j * rank;
            for (int k = 0; k < rank; k++) {
                acc += p2[base + k] * hidden[k];
            }
            if (acc > 0) {
                selected[n++] = j;
            }
        }
        return n;
    }
}
