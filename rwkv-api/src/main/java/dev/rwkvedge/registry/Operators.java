package dev.rwkvedge.registry;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.operators.DenseLinear;
import dev.rwkvedge.operators.DirectEmbedding;
import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** The operator vocabulary: binds each linear map of a model to a dense matrix or to a registered operator. */
public final class Operators {
    private static final NamedRegistry<OperatorProvider> REGISTRY =
            new NamedRegistry<>(OperatorProvider.class, "operator", Operators.class.getClassLoader());

    private Operators() {
    }

    public static NamedRegistry<OperatorProvider> registry() {
        return REGISTRY;
    }

    /**
     * The operator for the linear map {@code name} ({@code rows × cols}): the dense tensor when present, else the one
     * operator whose tensors are present.
     *
     * @throws WeightFormatException if nothing or more than one operator claims it, or shapes disagree
     */
    public static LinearOperator linear(ModelWeights w, String name, int rows, int cols) {
        Optional<Tensor> dense = w.find(name);
        if (dense.isPresent()) {
            Tensor t = dense.get();
            if (t.rank() < 2 || t.rows() != rows || t.cols() != cols) {
                throw new WeightFormatException(w.source(), name, -1, "has shape " + Arrays.toString(t.shape())
                        + ", expected (" + rows + ", " + cols + ")");
            }
            return new DenseLinear(t);
        }
        List<LinearOperator> found = new ArrayList<>();
        List<String> by = new ArrayList<>();
        for (OperatorProvider p : REGISTRY.all()) {
            Optional<LinearOperator> op = p.bindLinear(w, name, rows, cols);
            if (op.isPresent()) {
                found.add(op.get());
                by.add(p.name());
            }
        }
        if (found.isEmpty()) {
            throw new WeightFormatException(w.source(), name, -1, "required tensor is missing, and no operator ("
                    + String.join(", ", REGISTRY.available()) + ") provides it");
        }
        if (found.size() > 1) {
            throw new WeightFormatException(w.source(), name, -1, "claimed by several operators: " + String.join(", ", by));
        }
        return found.get(0);
    }

    /**
     * The channel-mix core of block {@code layer} from the one operator provider that claims it, or empty when none
     * does (then the engine binds the key/value pair as two linear maps).
     *
     * @throws WeightFormatException if several claim it
     */
    public static Optional<FfnOperator> ffn(ModelWeights w, int layer, int embd, int ffn) {
        List<FfnOperator> found = new ArrayList<>();
        List<String> by = new ArrayList<>();
        for (OperatorProvider p : REGISTRY.all()) {
            Optional<FfnOperator> op = p.bindFfn(w, layer, embd, ffn);
            if (op.isPresent()) {
                found.add(op.get());
                by.add(p.name());
            }
        }
        if (found.size() > 1) {
            throw new WeightFormatException(w.source(), "blocks." + layer + ".ffn.key.weight", -1,
                    "channel mix claimed by several operators: " + String.join(", ", by));
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /**
     * The model's input-row source: the one provider that claims it (e.g. {@code cached}), else {@code direct}.
     *
     * @throws WeightFormatException if several providers claim it
     */
    public static EmbeddingSource embedding(ModelWeights w, DirectEmbedding direct) {
        List<EmbeddingSource> found = new ArrayList<>();
        List<String> by = new ArrayList<>();
        for (OperatorProvider p : REGISTRY.all()) {
            Optional<EmbeddingSource> src = p.bindEmbedding(w, direct);
            if (src.isPresent()) {
                found.add(src.get());
                by.add(p.name());
            }
        }
        if (found.size() > 1) {
            throw new WeightFormatException(w.source(), "emb.weight", -1, "embedding claimed by several operators: "
                    + String.join(", ", by));
        }
        return found.isEmpty() ? direct : found.get(0);
    }

    /**
     * The output size (rows) of the linear map {@code name}: the dense tensor's rows when present, else what the
     * operator that stores it reports.
     *
     * @throws WeightFormatException if neither the dense tensor nor any operator's tensors are present
     */
    public static int outputSize(ModelWeights w, String name) {
        Optional<Tensor> dense = w.find(name);
        if (dense.isPresent()) {
            return Math.toIntExact(dense.get().dim(0));
        }
        for (OperatorProvider p : REGISTRY.all()) {
            OptionalInt rows = p.outputSize(w, name);
            if (rows.isPresent()) {
                return rows.getAsInt();
            }
        }
        throw new WeightFormatException(w.source(), name, -1, "required tensor is missing, and no operator ("
                + String.join(", ", REGISTRY.available()) + ") provides it");
    }
}
