package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.spi.Availability;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.KernelBackendProvider;

import java.lang.reflect.InvocationTargetException;

/**
 * Backend {@code vector}: jdk.incubator.vector kernels, row-parallel on a fixed worker pool.
 *
 * <p>This class must load and run on a JVM without the incubator module, so it names no incubator type, not even
 * indirectly through a signature: {@link #probe()} first asks the boot layer whether {@code jdk.incubator.vector}
 * is there, and only then loads {@code VectorProbe} (which asks for the preferred species) and, in {@link #create}, the
 * kernel classes, both reflectively by name.
 */
public final class VectorBackendProvider implements KernelBackendProvider {
    public static final String NAME = "vector";
    static final String MODULE = "jdk.incubator.vector";
    static final String MISSING = MODULE + " is not in the module graph; run with --add-modules " + MODULE;
    /**
     * The kernels need 8 float lanes (a ggml half-block of bytes must widen in whole vectors, VectorShapes); 128-bit
     * machines (SSE-only x86, NEON) use the scalar backend.
     */
    static final int MIN_BITS = 256;
    /** Kernel classes are named by string: a class literal would load them (and their incubator types) here. */
    private static final String PACKAGE = VectorBackendProvider.class.getPackageName();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            return Availability.no(MISSING);
        }
        int bits;
        try {
            bits = (int) Class.forName(PACKAGE + ".VectorProbe")
                    .getDeclaredMethod("preferredBits").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return Availability.no("jdk.incubator.vector is present but its species cannot be queried: " + e);
        }
        if (bits < MIN_BITS) {
            return Availability.no("the preferred vector shape is " + bits + " bits; the vector kernels need at least "
                    + MIN_BITS);
        }
        return Availability.yes(bits + "-bit vectors (jdk.incubator.vector), "
                + Runtime.getRuntime().availableProcessors() + " processors");
    }

    @Override
    public KernelBackend create(int threads) {
        Availability a = probe();
        if (!a.supported()) {
            throw new RwkvException("backend '" + NAME + "' is not usable here: " + a.reason());
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be 0 (available processors) or more, got " + threads);
        }
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        try {
            return (KernelBackend) Class.forName(PACKAGE + ".VectorBackend")
                    .getDeclaredConstructor(int.class).newInstance(n);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the vector backend", e);
        }
    }
}
