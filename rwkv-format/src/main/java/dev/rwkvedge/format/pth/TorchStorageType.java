package dev.rwkvedge.format.pth;

import dev.rwkvedge.tensor.DType;

/**
 * The typed storage classes torch names in a checkpoint's persistent ids ({@code torch.FloatStorage}, …; see
 * {@code torch/storage.py} and {@code torch/serialization.py} {@code persistent_id}), with the element size and the
 * {@link DType} a tensor over it becomes. Types without a {@link DType} (float64, int16, uint8, bool) are known so
 * that a checkpoint naming them is understood, but a tensor over them is refused when it is read;
 * {@code torch.LongStorage} (int64) is narrowed to I32 with a range check.
 */
enum TorchStorageType {
    FLOAT("FloatStorage", "float32", 4, DType.F32),
    HALF("HalfStorage", "float16", 2, DType.F16),
    BFLOAT16("BFloat16Storage", "bfloat16", 2, DType.BF16),
    INT("IntStorage", "int32", 4, DType.I32),
    LONG("LongStorage", "int64", 8, null),
    CHAR("CharStorage", "int8", 1, DType.I8),
    DOUBLE("DoubleStorage", "float64", 8, null),
    SHORT("ShortStorage", "int16", 2, null),
    BYTE("ByteStorage", "uint8", 1, null),
    BOOL("BoolStorage", "bool", 1, null);

    private final String className;
    private final String torchDtype;
    private final int elementBytes;
    private final DType dtype;

    TorchStorageType(String className, String torchDtype, int elementBytes, DType dtype) {
        this.className = className;
        this.torchDtype = torchDtype;
        this.elementBytes = elementBytes;
        this.dtype = dtype;
    }

    /** The class name in module {@code torch}, e.g. {@code FloatStorage}. */
    String className() {
        return className;
    }

    /** torch's dtype name, for messages. */
    String torchDtype() {
        return torchDtype;
    }

    int elementBytes() {
        return elementBytes;
    }

    /** The tensor type it maps to directly, or null (converted or refused). */
    DType dtype() {
        return dtype;
    }
}
