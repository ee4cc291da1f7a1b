package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.operators.FfnTraffic;
import dev.rwkvedge.operators.NeuronPredictor;
import dev.rwkvedge.operators.PredictedSparseFfn;
import dev.rwkvedge.operators.SparseWorkspace;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.spi.KernelBackend;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Int8Rows;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The predicted-sparse FFN in sequence mode: a chunk whose tokens together would read at least one whole key matrix
 * takes the key products from one dense pass ({@code matmul} over the chunk) instead of {@code rowDots} per token.
 * Both paths must give every token the bits it gets alone (one token at a time, which always uses {@code rowDots}),
 * on the scalar backend and the vector backend with 2 and 3 threads, for chunks of up to 32 tokens and every row
 * type the operator takes; and the traffic account must show which path ran (the dense pass counts the whole key
 * matrix once per chunk).
 */
class SparseChunkTest extends ScalarAndVector {
    private static final int FFN = 37;
    private static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.I8, DType.Q8_0, DType.Q4_0,
            DType.Q4_1, DType.Q5_0, DType.Q5_1};

    /** Selects neuron j of a token when j + (a hash of the token's first value) is not a multiple of 3: about 2/3. */
    private static final class EveryThird implements NeuronPredictor {
        @Override
        public int select(KernelBackend backend, float[] x, int xOff, int[] selected, SparseWorkspace ws) {
            int shift = Math.floorMod(Float.floatToRawIntBits(x[xOff]) >>> 7, 3);
            int n = 0;
            for (int j = 0; j < FFN; j++) {
                if ((j + shift) % 3 != 0) {
                    selected[n++] = j;
                }
            }
            return n;
        }

        @Override
        public long bytesPerToken() {
            return 0;
        }
    }

    /**
     * The matrix in 64-byte-aligned native memory, as a mapped file gives it (kernels that loaded from heap segments
     * here would share their JIT type profile with the other tests of this JVM, see {@link RowStage}).
     */
    private static Tensor matrix(String name, DType type, float[] w, int cols) {
        Tensor t = type == DType.I8 ? Int8Rows.quantize(name, w, FFN, cols) : TestTensors.matrix(name, type, w, FFN, cols);
        MemorySegment seg = Arena.ofAuto().allocate(t.byteSize(), 64);
        seg.copyFrom(t.data());
        Tensor n = new Tensor(t.name(), t.dtype(), t.shape(), seg);
        return t.hasRowScale() ? n.withRowScale(t.rowScale()) : n;
    }

    @Test
    void chunkedKeysGiveEveryTokenItsSingleTokenBits() {
        for (DType type : TYPES) {
            for (int embd : type.isQuantized() ? new int[] {32, 96, 320} : new int[] {7, 33, 96, 300}) {
                SplittableRandom rnd = new SplittableRandom(embd * 17L + type.ordinal());
                Tensor key = matrix("key", type, TestTensors.gaussian(rnd, FFN * embd, 1 / Math.sqrt(embd)), embd);
                Tensor valueT = matrix("valueT", type, TestTensors.gaussian(rnd, FFN * embd, 1 / Math.sqrt(FFN)), embd);
                for (KernelBackend backend : new KernelBackend[] {scalar, vector2, vector3}) {
                    for (int n : new int[] {2, 3, 5, 32}) {
                        check(backend, type, key, valueT, embd, n, rnd);
                    }
                }
            }
        }
    }

    private static void check(KernelBackend backend, DType type, Tensor key, Tensor valueT, int embd, int n,
                              SplittableRandom rnd) {
        String at = backend.name() + " " + type + " C=" + embd + " n=" + n;
        float[] x = TestTensors.gaussian(rnd, n * embd, 1);
        // Share 0.5: n ≥ 2 tokens read at least one whole key matrix, so the chunk takes the dense pass.
        PredictedSparseFfn chunked = new PredictedSparseFfn(new EveryThird(), key, valueT, 0, Footprint.NONE, 0.5, 0.3);
        PredictedSparseFfn single = new PredictedSparseFfn(new EveryThird(), key, valueT, 0, Footprint.NONE, 0.5, 0.3);
        float[] got = new float[n * embd];
        chunked.apply(backend, x, got, n, new float[n * FFN], new float[0]);
        float[] want = new float[n * embd];
        float[] one = new float[embd];
        for (int t = 0; t < n; t++) {
            float[] xt = new float[embd];
            System.arraycopy(x, t * embd, xt, 0, embd);
            single.apply(backend, xt, one, 1, new float[FFN], new float[0]);
            System.arraycopy(one, 0, want, t * embd, embd);
        }
        for (int i = 0; i < n * embd; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                    at + " element " + i + ": chunk " + got[i] + " vs single tokens " + want[i]);
        }
        FfnTraffic c = chunked.traffic();
        FfnTraffic s = single.traffic();
        assertEquals(s.predictedNeurons(), c.predictedNeurons(), at + ": same selections");
        assertEquals(s.activeNeurons(), c.activeNeurons(), at + ": same active neurons");
        long chunkValueBytes = n * (activatedRows(backend, key, x, embd, n) * valueT.rowBytesWithScale() / n);
        long perTokenKeys = key.byteSizeWithScale() / n;
        assertEquals(n * perTokenKeys + chunkValueBytes, c.bytesTouched(),
                at + ": the chunk read each key row and each activated value row once");
        assertEquals(s.predictedNeurons() * key.rowBytesWithScale() + s.activeNeurons() * valueT.rowBytesWithScale(),
                s.bytesTouched(), at + ": single tokens read their predicted key rows and active value rows");
    }

    /** Value rows that at least one of the n tokens activates (predicted, key product above 0), computed here. */
    private static long activatedRows(KernelBackend backend, Tensor key, float[] x, int embd, int n) {
        int[] all = new int[FFN];
        for (int j = 0; j < FFN; j++) {
            all[j] = j;
        }
        float[] dots = new float[FFN];
        int[] selected = new int[FFN];
        boolean[] used = new boolean[FFN];
        for (int t = 0; t < n; t++) {
            backend.rowDots(key, all, FFN, x, t * embd, dots);
            int count = new EveryThird().select(backend, x, t * embd, selected, null);
            for (int s = 0; s < count; s++) {
                used[selected[s]] |= dots[selected[s]] > 0;
            }
        }
        long rows = 0;
        for (boolean u : used) {
            rows += u ? 1 : 0;
        }
        return rows;
    }

    @Test
    void chunksBelowOneWholeMatrixKeepTheirPredictedRows() {
        int embd = 33;
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor key = matrix("key", DType.F32, TestTensors.gaussian(rnd, FFN * embd, 0.2), embd);
        Tensor valueT = matrix("valueT", DType.F32, TestTensors.gaussian(rnd, FFN * embd, 0.2), embd);
        // Share 0.2: 3 tokens read 0.6 of the key matrix through rowDots, less than one dense pass.
        PredictedSparseFfn ffn = new PredictedSparseFfn(new EveryThird(), key, valueT, 0, Footprint.NONE, 0.2, 0.1);
        int n = 3;
        float[] x = TestTensors.gaussian(rnd, n * embd, 1);
        ffn.apply(vector2, x, new float[n * embd], n, new float[n * FFN], new float[0]);
        FfnTraffic t = ffn.traffic();
        long valueBytes = n * (activatedRows(vector2, key, x, embd, n) * valueT.rowBytesWithScale() / n);
        assertEquals(t.predictedNeurons() * key.rowBytesWithScale() + valueBytes, t.bytesTouched(),
                "three tokens at share 0.2 read only their predicted key rows");
    }
}
