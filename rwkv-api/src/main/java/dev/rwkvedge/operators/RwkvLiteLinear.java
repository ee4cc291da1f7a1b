package dev.rwkvedge.operators;

import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.spi.LinearOperator;
import dev.rwkvedge.tensor.Tensor;

import java.util.Objects;

/**
 * The factorised projections of RWKV-Lite (Choe, Ji, Lin, arXiv 2412.10856; PAPER.md §2.3), which run the
 * authors' published checkpoints as they were trained:
 * <ul>
 *   <li>{@link Form#X058}, operator {@code rwkv-lite-x058}: {@code y = W2·(W1·x)}, the plain low-rank form that
 *       SVD initialises;</li>
 *   <li>{@link Form#X059}, operator {@code rwkv-lite-x059}: {@code y = W2·ReLU(W1·x)² + d ⊙ x}, the "enhanced" form
 *       of the deployed models: a squared ReLU between the factors and a learned per-channel diagonal bypass (so the
 *       matrix must be square).</li>
 * </ul>
 * {@code W1} is {@code r × in} and {@code W2} is {@code out × r} (the checkpoints' {@code <name>1.weight} and
 * {@code <name>2.weight}, PyTorch {@code Linear} layout). The nonlinearity the engine applies afterwards (σ for
 * receptance, SiLU for the gate) stays in the engine, exactly as in the authors' inference code where the diagonal
 * is added before it. Unlike {@link LowRankLinear}, x059 is not a linear map of {@code x}; it takes the place of one.
 */
public final class RwkvLiteLinear implements LinearOperator {
    /** Which of the two published forms. */
    public enum Form {
        X058("rwkv-lite-x058"),
        X059("rwkv-lite-x059");

        private final String kind;

        Form(String kind) {
            this.kind = kind;
        }

        public String kind() {
            return kind;
        }
    }

    private final Form form;
    private final Tensor w1;
    private final Tensor w2;
    private final float[] diag;
    private final Tensor diagTensor;
    private final long diagBytes;

    /**
     * @param diag the x059 diagonal ({@code out} values, {@code out == in}); null for x058
     * @throws IllegalArgumentException if the shapes do not chain or the diagonal does not fit the form
     */
    public RwkvLiteLinear(Form form, Tensor w1, Tensor w2, Tensor diag) {
        this.form = Objects.requireNonNull(form, "form");
        this.w1 = Objects.requireNonNull(w1, "w1");
        this.w2 = Objects.requireNonNull(w2, "w2");
        if (w2.cols() != w1.rows()) {
            throw new IllegalArgumentException("RWKV-Lite factors " + w1 + " and " + w2 + " do not chain: W1 has "
                    + w1.rows() + " rows, W2 has " + w2.cols() + " columns");
        }
        if ((form == Form.X059) != (diag != null)) {
            throw new IllegalArgumentException("RWKV-Lite " + form.kind() + (diag == null ? " needs" : " has no")
                    + " diagonal");
        }
        if (diag != null && (w2.rows() != w1.cols() || diag.elementCount() != w2.rows())) {
            throw new IllegalArgumentException("RWKV-Lite diagonal " + diag + " needs a square map, factors are "
                    + w1 + " and " + w2);
        }
        this.diag = diag == null ? null : diag.toFloatArray();
        this.diagTensor = diag;
        this.diagBytes = diag == null ? 0 : diag.byteSize();
    }

    public Form form() {
        return form;
    }

    public int rank() {
        return w1.rows();
    }

    @Override
    public int rows() {
        return w2.rows();
    }

    @Override
    public int cols() {
        return w1.cols();
    }

    @Override
    public int scratchPerToken() {
        return rank();
    }

    @Override
    public void apply(KernelBackend backend, float[] x, int xOff, float[] out, int outOff, int n, float[] scratch) {
        backend.matmul(w1, x, xOff, scratch, 0, n);
        if (form == Form.X059) {
            int len = n * rank();
            for (int i = 0; i < len; i++) {
                float z = scratch[i] > 0 ? scratch[i] : 0;
                scratch[i] = z * z;
            }
        }
        backend.matmul(w2, scratch, 0, out, outOff, n);
        if (diag != null) {
            int c = diag.length;
            for (int t = 0; t < n; t++) {
                int xo = xOff + t * c;
                int oo = outOff + t * c;
                for (int i = 0; i < c; i++) {
                    out[oo + i] += diag[i] * x[xo + i];
                }
            }
        }
    }

    @Override
    public long bytesPerToken() {
        return w1.byteSizeWithScale() + w2.byteSizeWithScale() + diagBytes;
    }

    @Override
    public String kind() {
        return form.kind();
    }

    /** Both factors are read for every token; the diagonal is copied to the heap at bind time. */
    @Override
    public Footprint footprint() {
        return diagTensor == null ? Footprint.resident(w1, w2) : Footprint.resident(w1, w2).plus(Footprint.decoded(diagTensor));
    }
}
