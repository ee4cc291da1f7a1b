package dev.rwkvedge.format.pth;

import java.util.HashMap;
import java.util.Map;

/**
 * The allow-list of Python globals a checkpoint's pickle may name: the functions torch uses to rebuild tensors
 * ({@code torch/_utils.py} {@code _rebuild_tensor_v2}, {@code _rebuild_parameter},
 * {@code _rebuild_parameter_with_state}; {@code torch/_tensor.py} {@code _rebuild_from_type_v2}), the classes those
 * take as arguments, {@code collections.OrderedDict} and the typed storage classes. This is the same set
 * {@code torch.load(weights_only=True)} accepts for a state dict ({@code torch/_weights_only_unpickler.py}).
 *
 * <p>A global is only ever looked up here, by its two strings; no Java class is ever loaded or called from a name
 * found in a file. {@code torch.storage._load_from_bytes} is deliberately absent: it would run {@code torch.load}
 * on embedded bytes (the legacy, non-zip format).
 */
enum PickleGlobal {
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2", null),
    REBUILD_PARAMETER("torch._utils", "_rebuild_parameter", null),
    REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state", null),
    REBUILD_FROM_TYPE_V2("torch._tensor", "_rebuild_from_type_v2", null),
    TENSOR_CLASS("torch", "Tensor", null),
    PARAMETER_CLASS("torch.nn.parameter", "Parameter", null),
    ORDERED_DICT("collections", "OrderedDict", null),
    FLOAT_STORAGE("torch", "FloatStorage", TorchStorageType.FLOAT),
    HALF_STORAGE("torch", "HalfStorage", TorchStorageType.HALF),
    BFLOAT16_STORAGE("torch", "BFloat16Storage", TorchStorageType.BFLOAT16),
    INT_STORAGE("torch", "IntStorage", TorchStorageType.INT),
    LONG_STORAGE("torch", "LongStorage", TorchStorageType.LONG),
    CHAR_STORAGE("torch", "CharStorage", TorchStorageType.CHAR),
    DOUBLE_STORAGE("torch", "DoubleStorage", TorchStorageType.DOUBLE),
    SHORT_STORAGE("torch", "ShortStorage", TorchStorageType.SHORT),
    BYTE_STORAGE("torch", "ByteStorage", TorchStorageType.BYTE),
    BOOL_STORAGE("torch", "BoolStorage", TorchStorageType.BOOL);

    private static final Map<String, PickleGlobal> BY_NAME = new HashMap<>();

    static {
        for (PickleGlobal g : values()) {
            BY_NAME.put(g.module + "." + g.name, g);
        }
    }

    private final String module;
    private final String name;
    private final TorchStorageType storage;

    PickleGlobal(String module, String name, TorchStorageType storage) {
        this.module = module;
        this.name = name;
        this.storage = storage;
    }

    /** The allowed global {@code module.name}, or null when it is not on the list. */
    static PickleGlobal lookup(String module, String name) {
        return BY_NAME.get(module + "." + name);
    }

    /** The storage type this global names, or null if it is not a storage class. */
    TorchStorageType storage() {
        return storage;
    }

    String qualifiedName() {
        return module + "." + name;
    }
}
