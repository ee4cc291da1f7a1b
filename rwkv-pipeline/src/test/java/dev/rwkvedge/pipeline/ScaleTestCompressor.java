package dev.rwkvedge.pipeline;

import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.CompressionContext;
import dev.rwkvedge.spi.CompressionReport;
import dev.rwkvedge.spi.CompressionResult;
import dev.rwkvedge.spi.Compressor;
import dev.rwkvedge.spi.CompressorProvider;
import dev.rwkvedge.spi.Params;
import dev.rwkvedge.tensor.Tensor;

import java.util.Map;

/**
 * A test-only compressor {@code test-scale}: multiplies one named tensor by {@code factor}, so tests can see that a
 * step ran and changed the written model.
 */
public final class ScaleTestCompressor implements CompressorProvider {
    @Override
    public String name() {
        return "test-scale";
    }

    @Override
    public Compressor create(Params params) {
        String tensor = params.getString("tensor", "ln_out.weight");
        double factor = params.getDouble("factor", 2.0);
        if (factor <= 0) {
            throw params.bad("factor", factor, "a positive number");
        }
        params.requireAllConsumed();
        return (ModelWeights w, CompressionContext ctx) -> {
            float[] v = w.get(tensor).toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] *= (float) factor;
            }
            Tensor t = Tensor.ofFloats(tensor, v, w.get(tensor).shape());
            CompressionReport r = new CompressionReport(name()).metric("scaled", tensor).metric("factor", factor)
                    .metric("calibration_tokens", ctx.calibrationTokens().length)
                    .row(Map.of("tensor", tensor, "elements", v.length));
            return new CompressionResult(w.toBuilder().put(t).build(), r);
        };
    }
}
