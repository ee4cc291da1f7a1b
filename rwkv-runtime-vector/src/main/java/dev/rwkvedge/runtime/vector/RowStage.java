package dev.rwkvedge.runtime.vector;

/**
 * One thread's staging buffers for sequence mode: a weight row widened to floats (F16/BF16) or unpacked to quants
 * and scales (block types), reused for every token of the chunk. Owned by exactly one thread (a pool worker, or
 * the calling thread's {@link MatmulJob}); grows to the widest row seen, then never allocates again.
 */
final class RowStage {
    float[] row = new float[0];
    float[] scales = new float[0];
    float[] mins = new float[0];

    void ensure(int cols) {
        if (row.length < cols) {
            row = new float[cols];
            int blocks = (cols + BlockDots.QK - 1) / BlockDots.QK;
            scales = new float[blocks];
            mins = new float[blocks];
        }
    }
}
