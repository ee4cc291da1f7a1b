package dev.rwkvedge.format.io;

import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Streams a tensor's data to a channel in a chosen element type, a chunk at a time, straight from its source
 * segment (usually a slice of a mapped file): writing a model never holds a second copy of it on the heap.
 *
 * <p>Conversions: any of F32/F16/BF16 to any other (through float; F32→F16 rounds to nearest even like torch
 * {@code .half()}, F32→BF16 rounds to nearest even like torch {@code .to(torch.bfloat16)}; widening is exact).
 * Every other type is only copied as it is. Output is little-endian, as every supported format stores it.
 */
public final class TensorEncoder {
    /** Bytes staged per channel write. */
    public static final int CHUNK = 1 << 20;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment stagingSegment = MemorySegment.ofBuffer(staging);

    /** Whether {@link #write} can turn {@code from} into {@code to}. */
    public static boolean canConvert(DType from, DType to) {
        return from == to || (from.isFloat() && to.isFloat());
    }

    /**
     * Writes all of {@code t} as {@code target}; exactly {@code target.byteSize(t.elementCount())} bytes.
     *
     * @throws IllegalArgumentException if the conversion is not supported (see {@link #canConvert})
     * @throws IllegalStateException    if the tensor's memory was released (its weights were closed)
     */
    public void write(Tensor t, DType target, WritableByteChannel out) throws IOException {
        if (!canConvert(t.dtype(), target)) {
            throw new IllegalArgumentException("tensor " + t.name() + ": cannot convert " + t.dtype() + " to " + target);
        }
        if (t.dtype() == target) {
            copy(t.data(), out);
        } else {
            convert(t, target, out);
        }
    }

    /** Writes {@code n} zero bytes (padding). */
    public void zeros(long n, WritableByteChannel out) throws IOException {
        long left = n;
        while (left > 0) {
            int k = (int) Math.min(left, CHUNK);
            staging.clear();
            stagingSegment.asSlice(0, k).fill((byte) 0);
            staging.limit(k);
            drain(out);
            left -= k;
        }
    }

    /** Writes the bytes of {@code buf} (from its position to its limit). */
    public static void writeFully(ByteBuffer buf, WritableByteChannel out) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    private void copy(MemorySegment src, WritableByteChannel out) throws IOException {
        long size = src.byteSize();
        for (long off = 0; off < size; off += CHUNK) {
            int k = (int) Math.min(CHUNK, size - off);
            staging.clear();
            MemorySegment.copy(src, off, stagingSegment, 0, k);
            staging.limit(k);
            drain(out);
        }
    }

    private void convert(Tensor t, DType target, WritableByteChannel out) throws IOException {
        MemorySegment src = t.data();
        DType from = t.dtype();
        int inSize = from.blockBytes();
        int outSize = target.blockBytes();
        long n = t.elementCount();
        int perChunk = CHUNK / Math.max(inSize, outSize);
        for (long start = 0; start < n; start += perChunk) {
            int k = (int) Math.min(perChunk, n - start);
            staging.clear();
            for (int i = 0; i < k; i++) {
                long at = (start + i) * inSize;
                float v = switch (from) {
                    case F32 -> src.get(F32, at);
                    case F16 -> Half.f16ToFloat(src.get(I16, at));
                    default -> Half.bf16ToFloat(src.get(I16, at));
                };
                switch (target) {
                    case F32 -> staging.putFloat(v);
                    case F16 -> staging.putShort(Half.floatToF16(v));
                    default -> staging.putShort(Half.floatToBf16(v));
                }
            }
            staging.flip();
            drain(out);
        }
    }

    private void drain(WritableByteChannel out) throws IOException {
        writeFully(staging, out);
    }
}
