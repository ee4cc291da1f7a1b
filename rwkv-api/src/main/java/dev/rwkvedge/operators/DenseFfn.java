package dev.rwkvedge.operators;

import dev.rwkvedge.spi.FfnOperator;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;

/** The channel-mix core as two linear maps: {@code V·relu²(K·x)}, every neuron computed. */
public record DenseFfn(LinearOperator key, LinearOperator value) implements FfnOperator {
    @Override
    public int scratchPerToken() {
        return Math.max(key.scratchPerToken(), value.scratchPerToken());
    }

    @Override
    public void apply(KernelBackend backend, float[] x, float[] out, int n, float[] hidden, float[] scratch) {
        key.apply(backend, x, 0, hidden, 0, n, scratch);
        int len = n * key.rows();
        for (int i = 0; i < len; i++) {
            float z = hidden[i] > 0 ? hidden[i] : 0;
            hidden[i] = z * z;
        }
        value.apply(backend, hidden, 0, out, 0, n, scratch);
    }

    @Override
    public String kind() {
        return "dense";
    }

    @Override
    public Footprint footprint() {
        return key.footprint().plus(value.footprint());
    }
}
