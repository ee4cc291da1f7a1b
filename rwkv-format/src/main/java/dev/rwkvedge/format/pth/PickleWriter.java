package dev.rwkvedge.format.pth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Emits the {@code data.pkl} of a state dict the way {@code torch.save} does with pickle protocol 2: a dict whose
 * values are {@code torch._utils._rebuild_tensor_v2(persistent_load(('storage', torch.XStorage, key, 'cpu',
 * numel)), 0, size, stride, False, OrderedDict())}. Items are added with SETITEMS in batches of 1000, as CPython's
 * pickler does. No memo is used (it is only an optimisation for repeated objects). Opcodes per pickletools.
 */
final class PickleWriter {
    private static final int BATCH = 1000;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int inBatch;

    PickleWriter() {
        out.write(0x80);
        out.write(2);
        out.write('}');
    }

    /** Adds {@code key: tensor} for a contiguous tensor that is the whole of storage {@code storageKey}. */
    void tensor(String key, TorchStorageType type, String storageKey, long[] shape) {
        if (inBatch == 0) {
            out.write('(');
        }
        unicode(key);
        global("torch._utils", "_rebuild_tensor_v2");
        out.write('(');
        out.write('(');
        unicode("storage");
        global("torch", type.className());
        unicode(storageKey);
        unicode("cpu");
        integer(dev.rwkvedge.tensor.Tensor.count(shape));
        out.write('t');
        out.write('Q');
        integer(0);
        ints(shape);
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        ints(stride);
        out.write(0x89);
        global("collections", "OrderedDict");
        out.write(')');
        out.write('R');
        out.write('t');
        out.write('R');
        if (++inBatch == BATCH) {
            out.write('u');
            inBatch = 0;
        }
    }

    /** The finished pickle. */
    byte[] finish() {
        if (inBatch > 0) {
            out.write('u');
            inBatch = 0;
        }
        out.write('.');
        return out.toByteArray();
    }

    private void ints(long[] values) {
        switch (values.length) {
            case 0 -> out.write(')');
            case 1, 2, 3 -> {
                for (long v : values) {
                    integer(v);
                }
                out.write(0x84 + values.length);
            }
            default -> {
                out.write('(');
                for (long v : values) {
                    integer(v);
                }
                out.write('t');
            }
        }
    }

    private void integer(long v) {
        if (v >= 0 && v < 0x100) {
            out.write('K');
            out.write((int) v);
        } else if (v >= 0 && v < 0x10000) {
            out.write('M');
            out.write((int) v & 0xFF);
            out.write((int) (v >>> 8));
        } else if (v == (int) v) {
            out.write('J');
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
        } else {
            out.write(0x8a);
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
        }
    }

    private void unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        for (int i = 0; i < 4; i++) {
            out.write(b.length >>> (8 * i));
        }
        out.writeBytes(b);
    }

    private void global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
