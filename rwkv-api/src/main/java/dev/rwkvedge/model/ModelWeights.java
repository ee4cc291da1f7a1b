package dev.rwkvedge.model;

import dev.rwkvedge.RwkvException;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tensors of one model in {@link CanonicalLayout}, in file order, plus string metadata. Immutable: a
 * compressor derives new weights with {@link #toBuilder()}, which share the underlying mapping. Closing any
 * weights derived from one file releases the mapping once; tensors must not be used after that.
 *
 * <p>Row scales. A per-row INT8 matrix {@code X} (dtype I8) and its scale vector {@code X.scale} are two tensors
 * here, as in the file, and {@link Builder#build()} attaches the scale to the matrix's view
 * ({@link Tensor#withRowScale}), so that every lookup ({@link #get}, {@link #find}, {@link #tensors}) returns values
 * already scaled and no consumer needs to know about the pairing. {@link Builder#put} of a tensor that carries a
 * row scale also puts {@code X.scale}; {@link Builder#remove} of it removes {@code X.scale} too.
 */
public final class ModelWeights implements AutoCloseable {
    private final Path source;
    private final String format;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;
    private final List<AutoCloseable> resources;

    private ModelWeights(Path source, String format, Map<String, Tensor> tensors, Map<String, String> metadata,
                         List<AutoCloseable> resources) {
        this.source = source;
        this.format = format;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.resources = List.copyOf(resources);
    }

    public static Builder builder(Path source, String format) {
        return new Builder(source, format);
    }

    /** The file these weights came from, or null for weights made in memory. */
    public Path source() {
        return source;
    }

    /** The format name of the source ({@code rwkv-cpp}, {@code pth}, …), or {@code memory}. */
    public String format() {
        return format;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Collection<Tensor> tensors() {
        return tensors.values();
    }

    public java.util.Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * @throws RwkvException naming the file and tensor when it is missing
     */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new WeightFormatException(source, name, -1, "required tensor is missing (is this a complete "
                    + "RWKV checkpoint of the detected version?)");
        }
        return t;
    }

    /** Total bytes of tensor data. */
    public long byteSize() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.byteSize();
        }
        return n;
    }

    /** Total number of elements (parameters). */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.elementCount();
        }
        return n;
    }

    /** A builder that starts with these tensors, metadata and resources. */
    public Builder toBuilder() {
        Builder b = new Builder(source, format);
        b.tensors.putAll(tensors);
        b.metadata.putAll(metadata);
        b.resources.addAll(resources);
        return b;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new RwkvException("closing " + source + ": " + e.getMessage(), e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Builds {@link ModelWeights}. */
    public static final class Builder {
        private final Path source;
        private final String format;
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final List<AutoCloseable> resources = new ArrayList<>();

        private Builder(Path source, String format) {
            this.source = source;
            this.format = format;
        }

        /**
         * Adds or replaces a tensor under its own name (replacing keeps the original position). A tensor with a row
         * scale brings its scale as {@code <name>.scale}; replacing a row-scaled tensor by one without drops it.
         */
        public Builder put(Tensor t) {
            Tensor previous = tensors.put(t.name(), t);
            String scaleName = Tensor.rowScaleName(t.name());
            if (t.hasRowScale()) {
                tensors.put(scaleName, t.rowScale().renamed(scaleName));
            } else if (previous != null && previous.hasRowScale()) {
                tensors.remove(scaleName);
            }
            return this;
        }

        /** Removes a tensor, and its row scale when it has one. */
        public Builder remove(String name) {
            Tensor t = tensors.remove(name);
            if (t != null && t.hasRowScale()) {
                tensors.remove(Tensor.rowScaleName(name));
            }
            return this;
        }

        public Builder metadata(String key, String value) {
            if (value == null) {
                metadata.remove(key);
            } else {
                metadata.put(key, value);
            }
            return this;
        }

        /** A resource (e.g. the file mapping's arena) closed once when the weights are closed. */
        public Builder resource(AutoCloseable r) {
            AtomicBoolean closed = new AtomicBoolean();
            resources.add(() -> {
                if (closed.compareAndSet(false, true)) {
                    r.close();
                }
            });
            return this;
        }

        public boolean contains(String name) {
            return tensors.containsKey(name);
        }

        /**
         * @throws WeightFormatException naming the scale tensor if an I8 matrix's {@code .scale} does not fit it
         */
        public ModelWeights build() {
            Map<String, Tensor> bound = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                String scaleName = Tensor.rowScaleName(e.getKey());
                Tensor scale = tensors.get(scaleName);
                if (t.dtype() == DType.I8 && scale != null) {
                    try {
                        t = t.withRowScale(scale);
                    } catch (IllegalArgumentException ex) {
                        throw new WeightFormatException(source, scaleName, -1, ex.getMessage()
                                + " (a per-row INT8 matrix needs one F32 scale per row)");
                    }
                } else if (t.hasRowScale()) {
                    throw new IllegalStateException("tensor " + e.getKey() + " carries a row scale but " + scaleName
                            + " was removed");
                }
                bound.put(e.getKey(), t);
            }
            return new ModelWeights(source, format, bound, metadata, resources);
        }
    }
}
