package dev.rwkvedge.format.pth;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The values the restricted unpickler builds. Python strings, ints, floats, bools, None, bytes, lists and dicts map
 * to {@link String}, {@link Long}, {@link Double}, {@link Boolean}, {@code null}, {@code byte[]},
 * {@link java.util.ArrayList} and {@link java.util.LinkedHashMap}; the records below cover the rest.
 */
final class PickleValues {
    private PickleValues() {
    }

    /** A Python tuple (immutable, may contain None). */
    record PyTuple(List<Object> items) {
        static PyTuple of(Object... items) {
            return new PyTuple(Collections.unmodifiableList(Arrays.asList(items)));
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /**
     * A typed storage: one zip record {@code <root>/data/<key>} holding {@code numel} elements.
     *
     * @param recordOffset where the record's bytes start in the file, for messages
     */
    record Storage(String key, TorchStorageType type, long numel, java.lang.foreign.MemorySegment bytes,
                   long recordOffset) {
    }

    /**
     * What {@code torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …)} describes: a strided
     * view of a storage, offsets and strides in elements. It becomes a {@link dev.rwkvedge.tensor.Tensor} once its
     * state-dict key is known, so that errors can name the tensor.
     */
    record TensorRef(Storage storage, long offset, long[] size, long[] stride) {
    }
}
