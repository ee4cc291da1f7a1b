package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;
import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.spi.OperatorProvider;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.util.Arrays;
import java.util.Optional;

/**
 * Binds {@link PredictedSparseFfn} for a block whose dense {@code ffn.key}/{@code ffn.value} were replaced by the
 * tensors of {@link SparseFfnTensors}. The MLP predictor, the 1-bit predictor, or both (combined by
 * {@code predictor.rule}) may be present; the key and transposed value stay views of the mapped file, and so do the
 * MLP's P1 and P2 in whatever dtype they were stored (F16 by default, F32 in containers written before that).
 */
public final class PredictedSparseOperatorProvider implements OperatorProvider {
    @Override
    public String name() {
        return "predicted-sparse";
    }

    @Override
    public Optional<LinearOperator> bindLinear(ModelWeights weights, String name, int rows, int cols) {
        return Optional.empty();
    }

    @Override
    public Optional<FfnOperator> bindFfn(ModelWeights w, int layer, int embd, int ffn) {
        Optional<Tensor> key = w.find(SparseFfnTensors.name(layer, SparseFfnTensors.KEY));
        if (key.isEmpty()) {
            return Optional.empty();
        }
        Tensor k = key.get();
        Tensor v = require(w, layer, SparseFfnTensors.VALUE_T);
        expectShape(w, k, ffn, embd);
        expectShape(w, v, ffn, embd);
        // Resident at their stored size: the MLP factors (read in place for every token) and the sign bits and
        // scalars (copied as they are). Decoded to float32: the MLP's bias and threshold.
        java.util.List<Tensor> resident = new java.util.ArrayList<>();
        java.util.List<Tensor> decoded = new java.util.ArrayList<>();
        MlpNeuronPredictor mlp = null;
        if (w.contains(SparseFfnTensors.name(layer, SparseFfnTensors.P1))) {
            Tensor p1 = require(w, layer, SparseFfnTensors.P1);
            Tensor p2 = require(w, layer, SparseFfnTensors.P2);
            Tensor bias = require(w, layer, SparseFfnTensors.P2_BIAS);
            Tensor thr = require(w, layer, SparseFfnTensors.MLP_THRESHOLD);
            int h = p1.rows();
            expectShape(w, p1, h, embd);
            expectShape(w, p2, ffn, h);
            for (Tensor t : new Tensor[] {p1, p2}) {
                if (t.dtype() == DType.I8 && !t.hasRowScale()) {
                    throw new WeightFormatException(w.source(), t.name(), -1, "is i8 without a row scale ("
                            + Tensor.rowScaleName(t.name()) + "); store the MLP predictor as F16 or F32 (sparsity "
                            + "parameter predictor-dtype) or as per-row INT8 with its scale");
                }
            }
            if (bias.elementCount() != ffn) {
                throw new WeightFormatException(w.source(), bias.name(), -1, "has " + bias.elementCount()
                        + " elements, expected " + ffn + " (one per FFN neuron)");
            }
            // P1 and P2 stay views of the model's memory (PAPER.md §6 keeps them FP16); bias and threshold are decoded.
            mlp = new MlpNeuronPredictor(p1, p2, bias.toFloatArray(), thr.get(0));
            resident.addAll(java.util.List.of(p1, p2));
            decoded.addAll(java.util.List.of(bias, thr));
        }
        SignNeuronPredictor sign = null;
        if (w.contains(SparseFfnTensors.name(layer, SparseFfnTensors.SIGN))) {
            Tensor bits = require(w, layer, SparseFfnTensors.SIGN);
            Tensor q = require(w, layer, SparseFfnTensors.SIGN_QUANTILE);
            if (bits.dtype() != DType.I8 || bits.hasRowScale()) {
                throw new WeightFormatException(w.source(), bits.name(), -1, "must be I8 packed bits without a row "
                        + "scale, is " + bits);
            }
            expectShape(w, bits, ffn, (embd + 7) / 8);
            sign = new SignNeuronPredictor(bits, embd, ffn, q.get(0));
            resident.addAll(java.util.List.of(bits, q));
        }
        NeuronPredictor predictor;
        if (mlp != null && sign != null) {
            Tensor rule = require(w, layer, SparseFfnTensors.RULE);
            resident.add(rule);
            predictor = new EnsembleNeuronPredictor(mlp, sign,
                    rule.get(0) == 0 ? EnsembleNeuronPredictor.Rule.OR : EnsembleNeuronPredictor.Rule.AND);
        } else if (mlp != null) {
            predictor = mlp;
        } else if (sign != null) {
            predictor = sign;
        } else {
            throw new WeightFormatException(w.source(), k.name(), -1, "sparse FFN has no predictor ("
                    + SparseFfnTensors.name(layer, SparseFfnTensors.P1) + " or "
                    + SparseFfnTensors.name(layer, SparseFfnTensors.SIGN) + ")");
        }
        double keyShare = MetadataShares.share(w, SparseFfnTensors.keyShareMetadataKey(layer));
        double valueShare = MetadataShares.share(w, SparseFfnTensors.valueShareMetadataKey(layer));
        Footprint predictorFootprint = Footprint.resident(resident).plus(Footprint.decoded(decoded.toArray(Tensor[]::new)));
        // sign_range records the midpoint the bits were cut at; the runtime never reads it.
        Optional<Tensor> range = w.find(SparseFfnTensors.name(layer, SparseFfnTensors.SIGN_RANGE));
        if (range.isPresent()) {
            predictorFootprint = predictorFootprint.plus(Footprint.loadOnly(range.get()));
        }
        return Optional.of(new PredictedSparseFfn(predictor, k, v, mlp == null ? 1 : mlp.rank(), predictorFootprint,
                keyShare, Double.isNaN(valueShare) ? keyShare : valueShare));
    }

    private static Tensor require(ModelWeights w, int layer, String suffix) {
        String name = SparseFfnTensors.name(layer, suffix);
        return w.find(name).orElseThrow(() -> new WeightFormatException(w.source(), name, -1,
                "missing: the predicted-sparse FFN of block " + layer + " needs it"));
    }

    private static void expectShape(ModelWeights w, Tensor t, int rows, int cols) {
        if (t.rank() != 2 || t.rows() != rows || t.cols() != cols) {
            throw new WeightFormatException(w.source(), t.name(), -1, "has shape " + Arrays.toString(t.shape())
                    + ", expected (" + rows + ", " + cols + ")");
        }
    }
}
