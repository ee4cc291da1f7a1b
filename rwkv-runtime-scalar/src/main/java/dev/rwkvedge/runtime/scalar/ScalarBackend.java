package dev.rwkvedge.runtime.scalar;

import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.ActivationQuant;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference kernels: one straightforward loop per operation, written to be obviously right rather than fast.
 * Products follow the numerical contract of {@link KernelBackend} (ggml's activation rounding per weight type).
 * Stateless, so one instance serves any number of threads.
 */
final class ScalarBackend implements KernelBackend {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return ScalarBackendProvider.NAME;
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void matmul(Tensor w, float[] x, int xOff, float[] out, int outOff, int n) {
        int rows = w.rows();
        int cols = w.cols();
        for (int t = 0; t < n; t++) {
            int xo = xOff + t * cols;
            int oo = outOff + t * rows;
            switch (w.dtype()) {
                case F32 -> matvecF32(w, x, xo, out, oo);
                case F16 -> matvecF16(w, x, xo, out, oo);
                case BF16 -> matvecBF16(w, x, xo, out, oo);
                case Q4_0, Q5_0, Q8_0, Q4_1, Q5_1 -> matvecBlocks(w, x, xo, out, oo);
                case I8 -> matvecI8(w, x, xo, out, oo);
                default -> throw new UnsupportedOperationException("scalar backend: no product for " + w.dtype()
                        + " (tensor " + w.name() + ")");
            }
        }
    }

    private static void matvecF32(Tensor w, float[] x, int xo, float[] out, int oo) {
        MemorySegment seg = w.data();
        int rows = w.rows();
        int cols = w.cols();
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols * 4;
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += seg.get(F32, base + 4L * i) * x[xo + i];
            }
            out[oo + r] = sum;
        }
    }

    /** Per-row INT8: {@code scale[r]·Σ q·x}, the activation in float32, summed in index order. */
    private static void matvecI8(Tensor w, float[] x, int xo, float[] out, int oo) {
        if (!w.hasRowScale()) {
            throw new UnsupportedOperationException("scalar backend: tensor " + w.name() + " is i8 without a row "
                    + "scale (" + Tensor.rowScaleName(w.name()) + "), so it holds raw integers, not weights");
        }
        MemorySegment seg = w.data();
        int rows = w.rows();
        int cols = w.cols();
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += seg.get(ValueLayout.JAVA_BYTE, base + i) * x[xo + i];
            }
            out[oo + r] = w.rowScale(r) * sum;
        }
    }

    /** ggml rounds the activation to binary16 before an F16 product (vec_dot_type = F16). */
    private static void matvecF16(Tensor w, float[] x, int xo, float[] out, int oo) {
        MemorySegment seg = w.data();
        int rows = w.rows();
        int cols = w.cols();
        float[] xh = new float[cols];
        for (int i = 0; i < cols; i++) {
            xh[i] = Half.roundToF16(x[xo + i]);
        }
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols * 2;
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += Half.f16ToFloat(seg.get(I16, base + 2L * i)) * xh[i];
            }
            out[oo + r] = sum;
        }
    }

    private static void matvecBF16(Tensor w, float[] x, int xo, float[] out, int oo) {
        MemorySegment seg = w.data();
        int rows = w.rows();
        int cols = w.cols();
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols * 2;
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += Half.bf16ToFloat(seg.get(I16, base + 2L * i)) * x[xo + i];
            }
            out[oo + r] = sum;
        }
    }

    /**
     * Block types against a Q8_0 (or, for types with a minimum, Q8_1) activation: per block
     * {@code (d_w·d_x)·Σ q_w·q_x}, plus {@code m_w·s_x} for Q4_1/Q5_1.
     */
    private static void matvecBlocks(Tensor w, float[] x, int xo, float[] out, int oo) {
        DType type = w.dtype();
        boolean withMin = type == DType.Q4_1 || type == DType.Q5_1;
        MemorySegment seg = w.data();
        int rows = w.rows();
        int cols = w.cols();
        int blocks = cols / GgmlBlocks.QK;
        byte[] qx = new byte[cols];
        float[] dx = new float[blocks];
        float[] sx = withMin ? new float[blocks] : null;
        ActivationQuant.quantize(x, xo, cols, qx, dx, sx);
        int[] qw = new int[GgmlBlocks.QK];
        long rowBytes = w.rowBytes();
        int bb = type.blockBytes();
        for (int r = 0; r < rows; r++) {
            float sum = 0;
            for (int b = 0; b < blocks; b++) {
                long off = r * rowBytes + (long) b * bb;
                GgmlBlocks.blockQuants(type, seg, off, qw);
                int sumi = 0;
                for (int j = 0; j < GgmlBlocks.QK; j++) {
                    sumi += qw[j] * qx[b * GgmlBlocks.QK + j];
                }
                float dw = GgmlBlocks.blockScale(seg, off);
                sum += (dw * dx[b]) * sumi;
                if (withMin) {
                    sum += GgmlBlocks.blockMin(seg, off) * sx[b];
                }
            }
            out[oo + r] = sum;
        }
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] out, int outOff, int len, float[] weight, float[] bias, float eps) {
        normalize(x, xOff, out, outOff, len, eps);
        for (int i = 0; i < len; i++) {
            out[outOff + i] = out[outOff + i] * weight[i] + bias[i];
        }
    }

    @Override
    public void groupNorm(float[] x, int xOff, float[] out, int outOff, int len, int groups, float[] weight, float[] bias, float eps) {
        int g = len / groups;
        for (int h = 0; h < groups; h++) {
            normalize(x, xOff + h * g, out, outOff + h * g, g, eps);
        }
        for (int i = 0; i < len; i++) {
            out[outOff + i] = out[outOff + i] * weight[i] + bias[i];
        }
    }

    /** ggml_norm: mean and variance summed in double, centred values and scale in float. In-place safe. */
    private static void normalize(float[] x, int xOff, float[] out, int outOff, int len, float eps) {
        double sum = 0;
        for (int i = 0; i < len; i++) {
            sum += x[xOff + i];
        }
        float mean = (float) (sum / len);
        double sum2 = 0;
        for (int i = 0; i < len; i++) {
            float v = x[xOff + i] - mean;
            out[outOff + i] = v;
            sum2 += (double) (v * v);
        }
        float variance = (float) (sum2 / len);
        float scale = (float) (1.0 / Math.sqrt(variance + eps));
        for (int i = 0; i < len; i++) {
            out[outOff + i] *= scale;
        }
    }

    @Override
    public void wkv4(int c, float[] k, float[] v, int off, float[] w, float[] u,
                     float[] state, int aaOff, int bbOff, int ppOff, float[] out) {
        for (int i = 0; i < c; i++) {
            float kk = k[off + i];
            float vv = v[off + i];
            float aa = state[aaOff + i];
            float bb = state[bbOff + i];
            float pp = state[ppOff + i];
            float ww = u[i] + kk;
            float p = Math.max(pp, ww);
            float e1 = (float) Math.exp(pp - p);
            float e2 = (float) Math.exp(ww - p);
            out[off + i] = (e1 * aa + e2 * vv) / (e1 * bb + e2);
            ww = pp + w[i];
            p = Math.max(ww, kk);
            e1 = (float) Math.exp(ww - p);
            e2 = (float) Math.exp(kk - p);
            state[aaOff + i] = e1 * aa + e2 * vv;
            state[bbOff + i] = e1 * bb + e2;
            state[ppOff + i] = p;
        }
    }

    @Override
    public void wkv5(int heads, int s, float[] r, float[] k, float[] v, int off, float[] w, int wOff, float[] u,
                     float[] state, int stateOff, float[] out) {
        for (int h = 0; h < heads; h++) {
            int ho = h * s;
            int so = stateOff + h * s * s;
            for (int j = 0; j < s; j++) {
                out[off + ho + j] = 0;
            }
            for (int i = 0; i < s; i++) {
                float ri = r[off + ho + i];
                float ki = k[off + ho + i];
                float ui = u[ho + i];
                float wi = w[wOff + ho + i];
                int row = so + i * s;
                for (int j = 0; j < s; j++) {
                    float kv = ki * v[off + ho + j];
                    float prev = state[row + j];
                    out[off + ho + j] += ri * (kv * ui + prev);
                    state[row + j] = prev * wi + kv;
                }
            }
        }
    }

    @Override
    public void wkv7(int heads, int s, float[] r, float[] w, float[] k, float[] v, float[] a, float[] b, int off,
                     float[] state, int stateOff, float[] out) {
        for (int h = 0; h < heads; h++) {
            int ho = off + h * s;
            int so = stateOff + h * s * s;
            for (int i = 0; i < s; i++) {
                int row = so + i * s;
                float sa = 0;
                for (int j = 0; j < s; j++) {
                    sa += state[row + j] * a[ho + j];
                }
                float vi = v[ho + i];
                float y = 0;
                for (int j = 0; j < s; j++) {
                    float nv = state[row + j] * w[ho + j] + sa * b[ho + j] + vi * k[ho + j];
                    state[row + j] = nv;
                    y += nv * r[ho + j];
                }
                out[ho + i] = y;
            }
        }
    }

    @Override
    public void close() {
        // Nothing to release: no threads, no native memory.
    }
}
