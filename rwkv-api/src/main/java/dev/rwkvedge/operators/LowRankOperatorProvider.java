package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/** Binds {@link LowRankLinear} from the tensors {@code <name>.lowrank.a} and {@code <name>.lowrank.b}. */
public final class LowRankOperatorProvider implements OperatorProvider {
    public static final String SUFFIX_A = ".lowrank.a";
    public static final String SUFFIX_B = ".lowrank.b";

    @Override
    public String name() {
        return "lowrank";
    }

    @Override
    public Optional<LinearOperator> bindLinear(ModelWeights w, String name, int rows, int cols) {
        Optional<Tensor> a = w.find(name + SUFFIX_A);
        Optional<Tensor> b = w.find(name + SUFFIX_B);
        if (a.isEmpty() && b.isEmpty()) {
            return Optional.empty();
        }
        if (a.isEmpty() || b.isEmpty()) {
            throw new WeightFormatException(w.source(), name, -1, "low-rank operator needs both " + name + SUFFIX_A
                    + " and " + name + SUFFIX_B);
        }
        Tensor ta = a.get();
        Tensor tb = b.get();
        if (ta.rank() != 2 || tb.rank() != 2 || ta.rows() != rows || tb.cols() != cols || ta.cols() != tb.rows()) {
            throw new WeightFormatException(w.source(), name, -1, "low-rank factors " + Arrays.toString(ta.shape())
                    + " · " + Arrays.toString(tb.shape()) + " do not form a (" + rows + ", " + cols + ") matrix");
        }
        return Optional.of(new LowRankLinear(ta, tb));
    }

    @Override
    public OptionalInt outputSize(ModelWeights w, String name) {
        return w.find(name + SUFFIX_A).filter(t -> t.rank() == 2).map(t -> OptionalInt.of(t.rows()))
                .orElse(OptionalInt.empty());
    }
}
