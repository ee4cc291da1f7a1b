package dev.rwkvedge.engine;

import dev.rwkvedge.io.PageRelease;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When to drop the model file's {@link Footprint.Residency#ON_DEMAND} pages from the resident set
 * ({@link PageRelease}): every {@code every} evaluated tokens, counted per session in {@link Scratch}. The memory
 * account calls those tensors "on demand", but a mapping keeps each page a token touched, so without release the
 * process RSS grows towards the whole file.
 *
 * <p>Release happens at chunk boundaries of {@link Graph#forward} (a decoded token is a chunk of one), so a prompt is
 * released from every {@link Graph#CHUNK} tokens at the latest. Within a due chunk each layer's segments are dropped
 * right after that layer ran, and the rest (head, embedding table) after the head: a 32-token chunk touches nearly
 * every page of a predicted-sparse FFN, and releasing per layer keeps the prefill peak near one layer's share
 * instead of the whole file (the peak RSS is a high-water mark).
 *
 * <p>Another session reading the same pages while one releases them just refaults them from the page cache.
 */
final class PageReleaseSchedule {
    private static final Pattern LAYER = Pattern.compile("^blocks\\.(\\d+)\\.");
    static final PageReleaseSchedule OFF = new PageReleaseSchedule(0, new MemorySegment[0][], new MemorySegment[0]);

    private final int every;
    private final MemorySegment[][] byLayer;
    private final MemorySegment[] rest;

    private PageReleaseSchedule(int every, MemorySegment[][] byLayer, MemorySegment[] rest) {
        this.every = every;
        this.byLayer = byLayer;
        this.rest = rest;
    }

    /**
     * The file-mapped segments of the tensors the footprints claim as on demand, grouped by layer.
     *
     * @param every release every this many tokens; 0 = never
     */
    static PageReleaseSchedule of(int every, ModelWeights weights, int nLayer, List<Footprint> footprints) {
        if (every < 0) {
            throw new IllegalArgumentException("release-pages-every must be 0 (off) or a positive token count, got "
                    + every);
        }
        if (every == 0) {
            return OFF;
        }
        Map<String, MemorySegment> segments = new LinkedHashMap<>();
        for (Footprint f : footprints) {
            for (Footprint.Item i : f.items()) {
                if (i.residency() == Footprint.Residency.ON_DEMAND && i.tensor() != null) {
                    weights.find(i.tensor()).map(Tensor::data).filter(MemorySegment::isMapped)
                            .ifPresent(s -> segments.put(i.tensor(), s));
                }
            }
        }
        List<List<MemorySegment>> layers = new ArrayList<>();
        for (int l = 0; l < nLayer; l++) {
            layers.add(new ArrayList<>());
        }
        List<MemorySegment> rest = new ArrayList<>();
        segments.forEach((name, s) -> {
            Matcher m = LAYER.matcher(name);
            int l = m.find() ? Integer.parseInt(m.group(1)) : -1;
            (l >= 0 && l < nLayer ? layers.get(l) : rest).add(s);
        });
        return new PageReleaseSchedule(every,
                layers.stream().map(g -> g.toArray(MemorySegment[]::new)).toArray(MemorySegment[][]::new),
                rest.toArray(MemorySegment[]::new));
    }

    /** Release every this many tokens; 0 = off. */
    int every() {
        return every;
    }

    /** Segments that would be released, all layers and the rest. */
    int segmentCount() {
        int n = rest.length;
        for (MemorySegment[] g : byLayer) {
            n += g.length;
        }
        return n;
    }

    /** Counts a chunk of {@code n} tokens for the session; whether its pages are to be released as it runs. */
    boolean due(Scratch s, int n) {
        if (every == 0) {
            return false;
        }
        s.tokensSinceRelease += n;
        if (s.tokensSinceRelease < every) {
            return false;
        }
        s.tokensSinceRelease = 0;
        return true;
    }

    /** Drops layer {@code l}'s on-demand pages. */
    void releaseLayer(int l) {
        for (MemorySegment s : byLayer[l]) {
            PageRelease.release(s);
        }
    }

    /** Drops the on-demand pages outside the layers (head, embedding table). */
    void releaseRest() {
        for (MemorySegment s : rest) {
            PageRelease.release(s);
        }
    }
}
