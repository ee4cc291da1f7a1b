package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Binds {@link RwkvLiteLinear} from the key names of RWKV-Lite checkpoints (PAPER.md §2.2 and §5): a projection
 * {@code blocks.N.att.key.weight} stored as {@code blocks.N.att.key1.weight} (W1, {@code r × in}) and
 * {@code blocks.N.att.key2.weight} (W2, {@code out × r}), plus {@code blocks.N.att.key_diag} in the x059 form. As
 * in the authors' loader ({@code rwkv/model.py}: {@code key1.weight} means 5.8, {@code key_diag} 5.9), the
 * diagonal's presence selects x059; without it the pair is the plain x058 product.
 */
public final class RwkvLiteOperatorProvider implements OperatorProvider {
    private static final String WEIGHT = ".weight";

    @Override
    public String name() {
        return "rwkv-lite";
    }

    /** {@code <base>1.weight}, {@code <base>2.weight} and {@code <base>_diag} for {@code <base>.weight}. */
    static String[] keys(String name) {
        String base = name.substring(0, name.length() - WEIGHT.length());
        return new String[] {base + "1" + WEIGHT, base + "2" + WEIGHT, base + "_diag"};
    }

    @Override
    public Optional<LinearOperator> bindLinear(ModelWeights w, String name, int rows, int cols) {
        if (!name.endsWith(WEIGHT)) {
            return Optional.empty();
        }
        String[] k = keys(name);
        Optional<Tensor> w1 = w.find(k[0]);
        Optional<Tensor> w2 = w.find(k[1]);
        Optional<Tensor> diag = w.find(k[2]);
        if (w1.isEmpty() && w2.isEmpty() && diag.isEmpty()) {
            return Optional.empty();
        }
        if (w1.isEmpty() || w2.isEmpty()) {
            throw new WeightFormatException(w.source(), name, -1, "RWKV-Lite operator needs both " + k[0] + " and "
                    + k[1]);
        }
        Tensor t1 = w1.get();
        Tensor t2 = w2.get();
        if (t1.rank() != 2 || t2.rank() != 2 || t2.rows() != rows || t1.cols() != cols || t1.rows() != t2.cols()) {
            throw new WeightFormatException(w.source(), name, -1, "RWKV-Lite factors " + Arrays.toString(t2.shape())
                    + " · " + Arrays.toString(t1.shape()) + " do not form a (" + rows + ", " + cols + ") matrix");
        }
        if (diag.isPresent() && (rows != cols || diag.get().elementCount() != rows)) {
            throw new WeightFormatException(w.source(), k[2], -1, "has " + diag.get().elementCount()
                    + " elements; the x059 diagonal of a (" + rows + ", " + cols + ") map needs a square map");
        }
        RwkvLiteLinear.Form form = diag.isPresent() ? RwkvLiteLinear.Form.X059 : RwkvLiteLinear.Form.X058;
        return Optional.of(new RwkvLiteLinear(form, t1, t2, diag.orElse(null)));
    }

    @Override
    public OptionalInt outputSize(ModelWeights w, String name) {
        if (!name.endsWith(WEIGHT)) {
            return OptionalInt.empty();
        }
        return w.find(keys(name)[1]).filter(t -> t.rank() == 2).map(t -> OptionalInt.of(t.rows()))
                .orElse(OptionalInt.empty());
    }
}
