package dev.rwkvedge.runtime.vector;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.GgmlBlocks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One thread's staging buffers for sequence mode, reused for every token of the chunk: up to {@link #ROWS} rows in
 * 64-byte-aligned native memory, either F32/F16/BF16/INT8 rows as floats (widened through {@link #row}, a Java array
 * the JIT's conversion loops write) or block rows unpacked to quants (floats) with their scales and minimums, plus
 * each staged block row's scale products for every token of the chunk ({@link BlockDots#scales}). Owned by exactly
 * one thread (a pool worker, or the calling thread's {@link MatmulJob}); grows to the widest row seen, then never
 * allocates again.
 *
 * <h2>Why the unpacked quants live in native memory</h2>
 * The block kernels of sequence mode run from L1 and are bound by loads: each 64-byte vector load that straddles two
 * cache lines costs about two. A Java array's elements start 16 bytes after the object, and where the object lands
 * modulo 64 depends on the allocation and on the collector, so the same product ran at 3.7, 4.4, 6.2 or 7.8 ms in
 * different JVMs (2688 × 768 Q8_0 × 32 tokens, one thread, CPU time). In 64-byte-aligned native memory (rows at
 * multiples of 64 bytes) it runs at 4.1-4.2 ms in every JVM. {@link MatmulJob} keeps the activation quants of
 * sequence mode in native memory for the same reason.
 *
 * <p>The kernels read these floats through {@code IntVector.fromMemorySegment(…).reinterpretAsFloats()}, not
 * {@code FloatVector.fromMemorySegment}: the JDK's load path keeps one type profile per bytecode for all callers, and
 * {@link FloatDots} loads F32 weights through FloatVector from memory-mapped files. Sharing that path, the staged
 * kernels were compiled for mapped segments too, with the liveness check left in the loop: on the RWKV-6 model
 * (whose LoRA matrices stay F32) Q8_0 prefill fell from 105 to 72 tokens/s; through IntVector it runs at 159.
 */
final class RowStage {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Block rows staged at once: a 2 × 2 kernel's two rows, twice (see {@link MatmulJob}). */
    static final int ROWS = 4;

    /** One row widened to floats on its way to {@link #rows}, and the single-token value-row buffer. */
    float[] row = new float[0];
    /**
     * {@link #ROWS} staged rows (floats or unpacked block quants) in one 64-byte-aligned native buffer, each row its
     * own segment for the sequence-mode kernels (see {@link FloatDots}).
     */
    final MemorySegment[] rows = new MemorySegment[ROWS];
    final float[][] scales = new float[ROWS][0];
    final float[][] mins = new float[ROWS][0];
    /** Per staged row: {@code d_w·d_x} for token t of the chunk at {@code [t·blocks, (t+1)·blocks)}. */
    final float[][] products = new float[ROWS][0];

    /**
     * Columns {@code [c0, c0 + len)} of the row at byte {@code base} as floats into {@code row[0..len)}, exactly:
     * F32 copied, F16/BF16 and I8 (without its scale) widened, block types dequantized block by block (then
     * {@code c0} and {@code len} must be whole blocks).
     */
    static void widen(MemorySegment seg, DType type, long base, int c0, int len, float[] row) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, F32, base + 4L * c0, row, 0, len);
            case F16 -> HalfConvert.f16Row(seg, base + 2L * c0, row, len);
            case BF16 -> HalfConvert.bf16Row(seg, base + 2L * c0, row, len);
            case I8 -> Int8Dots.widen(seg, base + c0, row, len);
            default -> {
                long blockBytes = type.blockBytes();
                int first = c0 / GgmlBlocks.QK;
                for (int j = 0; j * GgmlBlocks.QK < len; j++) {
                    GgmlBlocks.dequantizeBlock(type, seg, base + (first + j) * blockBytes, row, j * GgmlBlocks.QK);
                }
            }
        }
    }

    /** {@link #ensure(int)}, and room for the scale products of {@code tokens} tokens. */
    void ensure(int cols, int tokens) {
        ensure(cols);
        int need = tokens * ((cols + BlockDots.QK - 1) / BlockDots.QK);
        if (products[0].length < need) {
            for (int i = 0; i < ROWS; i++) {
                products[i] = new float[need];
            }
        }
    }

    void ensure(int cols) {
        if (row.length < cols) {
            row = new float[cols];
            int blocks = (cols + BlockDots.QK - 1) / BlockDots.QK;
            long stride = (4L * cols + 63) / 64 * 64;
            MemorySegment quants = Arena.ofAuto().allocate(ROWS * stride, 64);
            for (int i = 0; i < ROWS; i++) {
                rows[i] = quants.asSlice(i * stride, stride);
                scales[i] = new float[blocks];
                mins[i] = new float[blocks];
            }
        }
    }
}
