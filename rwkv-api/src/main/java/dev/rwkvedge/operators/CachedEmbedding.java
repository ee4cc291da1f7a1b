package dev.rwkvedge.operators;

import dev.rwkvedge.model.Component;
import dev.rwkvedge.spi.EmbeddingSource;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Embedding {@code cached} (DESIGN.md §4; PAPER.md §5): keeps at most {@code capacity} ln0-normalised rows in RAM
 * and reads the others from the backing source (the memory-mapped {@code emb.weight} plus ln0) on demand, so the
 * V × D table need not be resident; only touched pages of the mapping are.
 *
 * <p>Eviction is true LRU (a hit refreshes the entry), not the paper code's FIFO: under a Zipfian token stream the
 * frequent tokens then never age out. Sessions of one model share the cache, so the map is guarded by one lock, held
 * only for the map operation; rows are computed outside it and, once cached, never change, so copying a row out
 * needs no lock. Two threads missing the same token both compute it; the first insert wins and both results are
 * the same bits, since the backing computation is deterministic.
 */
public final class CachedEmbedding implements EmbeddingSource {
    private final EmbeddingSource backing;
    private final int capacity;
    private final int dim;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<Integer, float[]> rows;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final double expectedHitRate;

    /**
     * @param backing  where misses are read from (thread-safe)
     * @param capacity rows kept, at least 1
     * @param dim      floats per row
     */
    public CachedEmbedding(EmbeddingSource backing, int capacity, int dim) {
        this(backing, capacity, dim, Double.NaN);
    }

    /**
     * @param expectedHitRate the hit rate measured when the cache was configured (the {@code embedding-cache} step
     *                        records it on the calibration text), NaN when unknown; only the memory account uses it
     */
    public CachedEmbedding(EmbeddingSource backing, int capacity, int dim, double expectedHitRate) {
        if (capacity < 1) {
            throw new IllegalArgumentException("embedding cache capacity must be at least 1, got " + capacity);
        }
        this.backing = backing;
        this.capacity = capacity;
        this.dim = dim;
        this.expectedHitRate = expectedHitRate;
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, float[]> eldest) {
                return size() > CachedEmbedding.this.capacity;
            }
        };
    }

    @Override
    public void lookup(int token, float[] out, int off) {
        float[] row;
        lock.lock();
        try {
            row = rows.get(token);
        } finally {
            lock.unlock();
        }
        if (row != null) {
            hits.increment();
            System.arraycopy(row, 0, out, off, dim);
            return;
        }
        misses.increment();
        backing.lookup(token, out, off);
        float[] copy = java.util.Arrays.copyOfRange(out, off, off + dim);
        lock.lock();
        try {
            rows.putIfAbsent(token, copy);
        } finally {
            lock.unlock();
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Rows held now (never more than {@link #capacity()}). */
    public int size() {
        lock.lock();
        try {
            return rows.size();
        } finally {
            lock.unlock();
        }
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** hits / lookups, NaN before the first lookup. */
    public double hitRate() {
        long h = hits.sum();
        long total = h + misses.sum();
        return total == 0 ? Double.NaN : (double) h / total;
    }

    /** Bytes of cached row data at full capacity (F32 rows). */
    public long capacityBytes() {
        return 4L * capacity * dim;
    }

    @Override
    public String kind() {
        return "cached";
    }

    /**
     * The cached rows are resident ({@code 4·D} bytes each, at most one per vocabulary entry; the LRU's map entries
     * are not counted); the backing table becomes on demand, of which a miss reads one row: the expected bytes per
     * token are {@code (1 − hit rate) · row bytes} when the hit rate is known.
     */
    @Override
    public Footprint footprint() {
        if (backing instanceof DirectEmbedding d) {
            Tensor table = d.emb();
            return Footprint.onDemand(table, (1 - expectedHitRate) / table.rows())
                    .plus(Footprint.allocated(Component.EMBEDDING, 4L * Math.min(capacity, table.rows()) * dim));
        }
        // Another backing source: its tensors become on demand, with no known share.
        List<Footprint.Item> items = new ArrayList<>();
        for (Footprint.Item i : backing.footprint().items()) {
            boolean table = i.residency() == Footprint.Residency.RESIDENT && i.tensor() != null;
            items.add(table ? new Footprint.Item(i.tensor(), i.component(), Footprint.Residency.ON_DEMAND, i.bytes(),
                    Double.NaN) : i);
        }
        return new Footprint(items).plus(Footprint.allocated(Component.EMBEDDING, 4L * capacity * dim));
    }
}
