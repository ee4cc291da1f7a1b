package dev.rwkvedge.bench;

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
 * One matrix-vector product (a decode step's unit of work) per dtype, shape and backend. Shapes of the 169M/430M
 * models: 768×768 (attention), 2688×768 (FFN key), 65536×768 (World head), 1024×3584 (430M FFN value). Bytes per call
 * are {@code rows × rowBytes} (I8: per-row INT8, plus 4 bytes of scale per row); divide by the time for the achieved
 * bandwidth. The vector backend uses all processors ({@code -p threads=1} for one); {@code -p tokens=32} measures a
 * sequence-mode (prefill) product of 32 tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatvecBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "I8"})
    public String dtype;

    @Param({"768x768", "2688x768", "65536x768", "1024x3584"})
    public String shape;

    @Param({"scalar", "vector"})
    public String backend;

    @Param({"0"})
    public int threads;

    /** Tokens per product: 1 is a decode step; more is sequence mode (prefill), e.g. {@code -p tokens=32}. */
    @Param({"1"})
    public int tokens;

    private KernelBackend be;
    private Tensor w;
    private float[] x;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        w = BenchWeights.random(DType.parse(dtype), rows, cols, 42);
        x = new float[tokens * cols];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        out = new float[tokens * rows];
        be = KernelBackends.create(backend, threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public float[] matvec() {
        be.matmul(w, x, 0, out, 0, tokens);
        return out;
    }
}
