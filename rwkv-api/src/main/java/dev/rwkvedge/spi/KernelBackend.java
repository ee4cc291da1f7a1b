package dev.rwkvedge.spi;

import dev.rwkvedge.tensor.Tensor;

/**
 * The compute kernels the engine runs an RWKV graph with. Implementations must be safe to call from many
 * sessions at once (weights are shared; all mutable data is passed in by the caller).
 *
 * <h2>Numerical contract</h2>
 * The products follow ggml's CPU path, so that logits match rwkv.cpp (RWKV-MATH.md §7):
 * <ul>
 *   <li>F32 and BF16 weights: float32 products and sums, any summation order;</li>
 *   <li>F16 weights: the activation is first rounded to binary16, then products are summed in float32;</li>
 *   <li>Q4_0, Q5_0, Q8_0 weights: the activation is quantized to Q8_0 per 32-block (d = max|x|/127 stored as
 *       binary16, q = round-half-even(x·127/max|x|)) and each block contributes d_w·d_x·Σ q_w·q_x;</li>
 *   <li>Q4_1, Q5_1 weights: the activation goes to Q8_1 (as Q8_0, plus s = binary16(d_x·Σq_x)), and each
 *       block contributes d_w·d_x·Σ q_w·q_x + m_w·s;</li>
 *   <li>I8 weights with a row scale ({@link Tensor#rowScale()}, per-row INT8): the activation stays float32 (no
 *       activation quantization, unlike ggml's Q8 types) and row r gives {@code scale[r]·Σ_i q[r][i]·x[i]}: the
 *       products q·x and their sum in float32, any summation order, then one multiplication by the row's scale.
 *       An I8 tensor without a row scale (raw integers such as packed sign bits) is not a weight matrix: products
 *       with it fail naming the tensor.</li>
 * </ul>
 * Sequence products ({@code n > 1}) must give, for every token, exactly the bits of the single-token product,
 * so that sequence mode equals serial mode.
 */
public interface KernelBackend extends AutoCloseable {
    String name();

    /** Worker threads this backend uses. */
    int threads();

    /**
     * {@code out[t·rows + o] = Σ_i W[o][i]·x[xOff + t·cols + i]} for every token {@code t < n}, where W is the
     * 2-D view {@code rows × cols} of {@code w}.
     */
    void matmul(Tensor w, float[] x, int xOff, float[] out, int outOff, int n);

    /** Single-token {@link #matmul}. */
    default void matvec(Tensor w, float[] x, float[] out) {
        matmul(w, x, 0, out, 0, 1);
    }

    /**
     * {@code out[s] = W[rows[s]]·x[xOff .. xOff+cols)} for every {@code s < count}: a product with only some rows of
     * the 2-D view {@code rows × cols} of {@code w} (the {@code predicted-sparse} FFN's key rows, PAPER.md §3). Each
     * entry has exactly the bits the same row gets in a single-token {@link #matmul} of this backend: F16 rows see
     * the activation rounded to binary16, block rows see it quantized to Q8_0 (Q8_1) blocks, I8 rows give
     * {@code scale[r]·Σ q·x}, F32 and BF16 rows plain float32 sums (see the class contract). The activation is
     * prepared once per call, not per row.
     *
     * <p>The default is the scalar reference (sums in ascending index order), which is what {@code matmul} of the
     * {@code scalar} backend computes; a backend whose {@code matmul} sums in another order must override it.
     */
    default void rowDots(Tensor w, int[] rows, int count, float[] x, int xOff, float[] out) {
        ReferenceRows.rowDots(w, rows, count, x, xOff, out);
    }

    /**
     * {@code out[outOff + o] += Σ_s coef[s]·W[rows[s]][o]} for {@code o < cols}, {@code s < count}: a weighted sum of
     * some rows of {@code w} (the {@code predicted-sparse} FFN's transposed value rows, PAPER.md §3.6). Rows are
     * dequantized to float32 as {@link Tensor#readRow} does (F32, F16, BF16, block types, I8 times its row scale);
     * the coefficients are used as given (no activation rounding: there is no block of them to quantize).
     *
     * <p>The default adds row by row in the order given, each element as {@code out += row[o]·coef[s]} in float32:
     * for float rows in ascending order these are the bits of a dense product on the {@code scalar} backend that
     * included only these rows. Other backends may fuse the multiply-add or scale I8 rows differently: equal within
     * float tolerance.
     */
    default void accumulateRows(Tensor w, int[] rows, float[] coef, int count, float[] out, int outOff) {
        ReferenceRows.accumulateRows(w, rows, coef, count, out, outOff);
    }

    /**
     * {@link #accumulateRows} for a chunk of tokens, each row read once for all the tokens that use it: for every group
     * {@code g < groups} and entry {@code e} in {@code [start[g], start[g+1])},
     * {@code out[outOff + tokens[e]·stride + o] += coef[e]·W[rows[g]][o]} for {@code o < cols}. The groups are taken
     * in the order given, so a token's output receives its rows in group order: each token gets exactly the bits
     * of this backend's {@code accumulateRows} called for it alone with its rows in that order (sequence mode equals
     * serial mode). The {@code predicted-sparse} FFN calls it in prefill with ascending rows (its value rows) and
     * groups listing the chunk's tokens that activated the row.
     *
     * <p>The default is the reference arithmetic of {@link #accumulateRows}, with each row dequantized once per
     * group; a backend that overrides {@code accumulateRows} must override this method too.
     */
    default void accumulateRowsChunk(Tensor w, int[] rows, int groups, int[] start, int[] tokens, float[] coef,
                                     float[] out, int outOff, int stride) {
        ReferenceRows.accumulateRowsChunk(w, rows, groups, start, tokens, coef, out, outOff, stride);
    }

    /**
     * {@code out[j] = Σ x[xOff + i]} over the columns {@code i < cols} whose bit is set in row j, for every row of
     * {@code bits}: the scores of the {@code predicted-sparse} FFN's sign predictor (PAPER.md §3.4), a one-bit matrix
     * held as I8 without a row scale, rows of {@code ⌈cols/8⌉} bytes, bit i of byte b = column 8b + i
     * ({@link dev.rwkvedge.tensor.SignBits}).
     *
     * <p>The default is the reference, {@link dev.rwkvedge.tensor.SignBits#scores}: a table of partial sums per 8
     * columns and one read per byte, in ascending byte order. Other backends may sum in another order: equal within
     * float tolerance, so a neuron whose score ties the selection cut-off may be chosen differently.
     */
    default void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out) {
        ReferenceRows.signDots(bits, cols, x, xOff, out);
    }

    /**
     * {@link #signDots} for {@code n} tokens at {@code x[xOff + t·cols ..]}, token t's scores into
     * {@code out[t·rows ..]} ({@code rows} = the rows of {@code bits}): each token gets exactly the bits of this
     * backend's single-token call (sequence mode equals serial mode), while each row of bits can be read once for
     * the chunk. The default is the reference, one token after the other; a backend that overrides the single-token
     * method must override this one too.
     */
    default void signDots(Tensor bits, int cols, float[] x, int xOff, float[] out, int n) {
        ReferenceRows.signDots(bits, cols, x, xOff, out, n);
    }

    /**
     * LayerNorm of {@code len} elements, as ggml_norm: mean and variance accumulated in double, population
     * variance, then {@code (x−μ)·(1/√(σ²+eps))·weight + bias} in float.
     */
    void layerNorm(float[] x, int xOff, float[] out, int outOff, int len, float[] weight, float[] bias, float eps);

    /**
     * GroupNorm: {@link #layerNorm} without affine applied to each of {@code groups} consecutive groups of
     * {@code len/groups} elements, followed by the affine {@code weight, bias} over all {@code len} elements.
     */
    void groupNorm(float[] x, int xOff, float[] out, int outOff, int len, int groups, float[] weight, float[] bias, float eps);

    /**
     * RWKV-4 WKV for one token (RWKV-MATH.md §6, v4), numerically stabilised. {@code k, v, out} are read and written
     * at {@code [off, off+c)}; the state vectors aa, bb, pp (each {@code c} long) start at {@code aaOff}, {@code bbOff},
     * {@code ppOff} of {@code state}; {@code w} is the stored decay −exp(d), {@code u} is time_first.
     */
    void wkv4(int c, float[] k, float[] v, int off, float[] w, float[] u,
              float[] state, int aaOff, int bbOff, int ppOff, float[] out);

    /**
     * RWKV-5/6 WKV for one token over {@code heads} heads of size {@code s}. {@code r, k, v, out} are at
     * {@code [off, off+heads·s)}, the per-channel decay {@code w} at {@code wOff}, the bonus {@code u} at 0. State
     * {@code S[h][i][j]} (i = key, j = value) is at {@code state[stateOff + h·s² + i·s + j]}:
     * {@code y_j = Σ_i r_i·(u_i·k_i·v_j + S[i][j])}, then {@code S[i][j] ← w_i·S[i][j] + k_i·v_j}.
     */
    void wkv5(int heads, int s, float[] r, float[] k, float[] v, int off, float[] w, int wOff, float[] u,
              float[] state, int stateOff, float[] out);

    /**
     * RWKV-7 WKV for one token. All vectors are at {@code [off, off+heads·s)}. State {@code S[h][i][j]} (i = value,
     * j = key) at {@code state[stateOff + h·s² + i·s + j]}: {@code S ← S·diag(w) + (S·a)·bᵀ + v·kᵀ}, then
     * {@code y_i = Σ_j S[i][j]·r_j} with the new S. The engine passes {@code a = −κ̂} and {@code b = κ̂⊙α}.
     */
    void wkv7(int heads, int s, float[] r, float[] w, float[] k, float[] v, float[] a, float[] b, int off,
              float[] state, int stateOff, float[] out);

    /** Releases worker threads. The backend must not be used afterwards. */
    @Override
    void close();
}
