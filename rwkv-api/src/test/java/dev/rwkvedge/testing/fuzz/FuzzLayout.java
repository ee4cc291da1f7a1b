package dev.rwkvedge.testing.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the structure of a seed file lies, so the {@link Mutator} spends most of its edits there instead of in
 * tensor data (where a flipped bit is just a different weight): {@code hot} ranges are headers, length fields,
 * pickle opcodes, zip records, JSON text; {@code records} are whole repeatable units (a tensor record, a zip entry)
 * that can be duplicated or removed; {@code fields} are offsets of known integer fields (lengths, dims, dtype
 * codes, offsets) and their width in bytes.
 */
public record FuzzLayout(List<long[]> hot, List<long[]> records, List<long[]> fields) {
    public FuzzLayout {
        hot = List.copyOf(hot);
        records = List.copyOf(records);
        fields = List.copyOf(fields);
    }

    /** A layout with no known structure: the whole file is hot. */
    public static FuzzLayout whole(long size) {
        return builder().hot(0, size).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects ranges and fields. */
    public static final class Builder {
        private final List<long[]> hot = new ArrayList<>();
        private final List<long[]> records = new ArrayList<>();
        private final List<long[]> fields = new ArrayList<>();

        /** Marks {@code [from, to)} as structure. */
        public Builder hot(long from, long to) {
            if (to > from) {
                hot.add(new long[] {from, to});
            }
            return this;
        }

        /** Marks {@code [from, to)} as one record that may be duplicated or removed. */
        public Builder record(long from, long to) {
            if (to > from) {
                records.add(new long[] {from, to});
            }
            return this;
        }

        /** An integer field of {@code width} (1, 2, 4 or 8) bytes, little-endian, at {@code offset}. */
        public Builder field(long offset, int width) {
            fields.add(new long[] {offset, width});
            return this;
        }

        public FuzzLayout build() {
            return new FuzzLayout(hot, records, fields);
        }
    }
}
