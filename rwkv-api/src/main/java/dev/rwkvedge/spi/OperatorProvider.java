package dev.rwkvedge.spi;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.operators.DirectEmbedding;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Binds operators of the vocabulary to a model's tensors. The engine asks every registered provider for each
 * linear map whose dense tensor is absent (for example {@code blocks.3.att.key.weight} replaced by
 * {@code …weight.lowrank.a} and {@code …weight.lowrank.b}); exactly one may claim it. A third party that needs a new
 * operator ships a jar with an {@code OperatorProvider}; compressors are never needed at run time.
 */
public interface OperatorProvider extends NamedProvider {
    /**
     * @param name the canonical name of the dense weight this operator stands for
     * @param rows expected output size
     * @param cols expected input size
     * @return the bound operator, or empty if this provider's tensors for {@code name} are not in {@code weights}
     */
    Optional<LinearOperator> bindLinear(ModelWeights weights, String name, int rows, int cols);

    /**
     * Binds the channel-mix core of block {@code layer} when this provider's tensors replace the dense
     * {@code ffn.key}/{@code ffn.value} pair; empty otherwise.
     */
    default Optional<FfnOperator> bindFfn(ModelWeights weights, int layer, int embd, int ffn) {
        return Optional.empty();
    }

    /**
     * Supplies the model's input rows when this provider's metadata or tensors ask for a non-default source (for
     * example an LRU of normalised rows); empty otherwise, and the engine uses {@code direct}.
     *
     * @param direct the default source over {@code emb.weight} and ln0, which a provider may wrap
     */
    default Optional<EmbeddingSource> bindEmbedding(ModelWeights weights, DirectEmbedding direct) {
        return Optional.empty();
    }

    /**
     * The output size of the linear map {@code name} as stored by this provider's tensors, or empty if they are
     * absent. Lets the model configuration read sizes (such as the FFN width from {@code ffn.key.weight}) when the
     * dense matrix has been replaced by an operator.
     */
    default OptionalInt outputSize(ModelWeights weights, String name) {
        return OptionalInt.empty();
    }
}
