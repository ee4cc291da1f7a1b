package dev.rwkvedge.operators;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.WeightFormatException;

/**
 * Reads the measured shares compressors record in a model's metadata (predicted FFN density, clustered-head share,
 * embedding-cache hit rate) for the memory account. They are statistics, not settings: absent means unknown.
 */
final class MetadataShares {
    private MetadataShares() {
    }

    /**
     * The share under {@code key}, in [0, 1], or NaN when the key is absent.
     *
     * @throws WeightFormatException naming the file and key when the value is not a number in [0, 1]
     */
    static double share(ModelWeights w, String key) {
        String v = w.metadata().get(key);
        if (v == null) {
            return Double.NaN;
        }
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d >= 0 && d <= 1)) {
            throw new WeightFormatException(w.source(), "metadata " + key + " is '" + v
                    + "', expected a share between 0 and 1 (remove the key if it is unknown)");
        }
        return d;
    }
}
