package dev.rwkvedge.runtime.vector;

/**
 * One thread's staging buffers for sequence mode, reused for every token of the chunk: up to {@link #ROWS} weight
 * rows widened to floats (F16/BF16 use the first) or unpacked to quants, scales and minimums (block types), and each
 * staged block row's scale products for one pair of tokens ({@link BlockDots#scales}). Owned by exactly one thread
 * (a pool worker, or the calling thread's {@link MatmulJob}); grows to the widest row seen, then never allocates
 * again.
 */
final class RowStage {
    /** Rows staged at once: a 2 × 2 kernel's two rows, twice (see {@link MatmulJob}). */
    static final int ROWS = 4;

    final float[][] rows = new float[ROWS][0];
    final float[][] scales = new float[ROWS][0];
    final float[][] mins = new float[ROWS][0];
    /** Per staged row: {@code d_w·d_x} for token t of the current pair at {@code [t·blocks, (t+1)·blocks)}. */
    final float[][] products = new float[ROWS][0];

    void ensure(int cols) {
        if (rows[0].length < cols) {
            int blocks = (cols + BlockDots.QK - 1) / BlockDots.QK;
            for (int i = 0; i < ROWS; i++) {
                rows[i] = new float[cols];
                scales[i] = new float[blocks];
                mins[i] = new float[blocks];
                products[i] = new float[2 * blocks];
            }
        }
    }
}
