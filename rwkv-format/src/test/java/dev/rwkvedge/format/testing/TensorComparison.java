package dev.rwkvedge.format.testing;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compares two sets of canonical tensors element by element: same names, same shapes, and every value within a
 * per-element {@link Tolerance}. Returns the largest differences seen, for reporting.
 */
public final class TensorComparison {
    private TensorComparison() {
    }

    /** Decides whether {@code actual} is close enough to {@code expected} for element of tensor {@code name}. */
    @FunctionalInterface
    public interface Tolerance {
        boolean accepts(String name, float expected, float actual);
    }

    /** Bit-identical values (NaN equal to NaN). */
    public static final Tolerance EXACT = (n, e, a) -> Float.floatToIntBits(e) == Float.floatToIntBits(a);

    /** Within {@code ulps} units in the last place of the expected float32 value. */
    public static Tolerance ulps(int ulps) {
        return (n, e, a) -> e == a || Math.abs((double) a - e) <= ulps * (double) Math.ulp(e);
    }

    /** The largest differences over all elements. */
    public record Stats(int tensors, long elements, double maxAbs, double maxRel, long maxUlps, long differing,
                        String worst) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d tensors, %d elements: max abs %.3g, max rel %.3g, max ulps %d, "
                    + "%d differing (worst: %s)", tensors, elements, maxAbs, maxRel, maxUlps, differing, worst);
        }
    }

    /** Asserts that {@code actual} has exactly the tensors of {@code expected}, each within {@code tol}. */
    public static Stats assertSameTensors(ModelWeights expected, ModelWeights actual, Tolerance tol) {
        assertEquals(new java.util.TreeSet<>(expected.names()), new java.util.TreeSet<>(actual.names()),
                "tensor names");
        double maxAbs = 0;
        double maxRel = 0;
        long maxUlps = 0;
        long differing = 0;
        long elements = 0;
        String worst = "-";
        for (Tensor e : expected.tensors()) {
            Tensor a = actual.get(e.name());
            assertArrayEquals(e.shape(), a.shape(), () -> "shape of " + e.name() + ": expected "
                    + Arrays.toString(e.shape()) + ", got " + Arrays.toString(a.shape()));
            float[] ev = e.toFloatArray();
            float[] av = a.toFloatArray();
            for (int i = 0; i < ev.length; i++) {
                elements++;
                if (!tol.accepts(e.name(), ev[i], av[i])) {
                    fail(String.format(Locale.ROOT, "%s[%d]: expected %s, got %s (abs diff %.3g)", e.name(), i,
                            Float.toString(ev[i]), Float.toString(av[i]), Math.abs((double) av[i] - ev[i])));
                }
                if (Float.floatToIntBits(ev[i]) != Float.floatToIntBits(av[i])) {
                    differing++;
                    double abs = Math.abs((double) av[i] - ev[i]);
                    double rel = ev[i] == 0 ? abs : abs / Math.abs(ev[i]);
                    long u = Math.round(abs / Math.ulp(ev[i]));
                    if (rel > maxRel) {
                        maxRel = rel;
                        worst = e.name() + "[" + i + "]";
                    }
                    maxAbs = Math.max(maxAbs, abs);
                    maxUlps = Math.max(maxUlps, u);
                }
            }
        }
        return new Stats(expected.names().size(), elements, maxAbs, maxRel, maxUlps, differing, worst);
    }
}
