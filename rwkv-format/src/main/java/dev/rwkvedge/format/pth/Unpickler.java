package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.pth.PickleValues.PyTuple;
import dev.rwkvedge.format.pth.PickleValues.Storage;
import dev.rwkvedge.format.pth.PickleValues.TensorRef;
import dev.rwkvedge.model.WeightFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler for the {@code data.pkl} of a torch checkpoint: it interprets the pickle opcodes
 * {@code torch.save} emits (protocol 2, plus the few protocol 4/5 framing opcodes newer picklers add) as a small
 * stack machine that builds plain values, and refuses everything else. It is the Java counterpart of
 * {@code torch.load(weights_only=True)}: a pickle is a program, and only a tiny, known part of it is run.
 *
 * <p>Safety, by construction:
 * <ul>
 *   <li>{@code GLOBAL}/{@code STACK_GLOBAL} are checked against {@link PickleGlobal}'s allow-list the moment they
 *       are read, before anything else happens; any other global fails with "forbidden pickle global module.name".
 *       Names are only compared as strings: no class is ever loaded, no reflection is used, nothing is called
 *       except the fixed Java code for the allowed tensor-rebuild functions.</li>
 *   <li>Every length read from the file (strings, bytes, integers, frames) is checked against the bytes left in
 *       {@code data.pkl} before anything is allocated; strings and bytes are further capped at
 *       {@value #MAX_STRING} bytes, the stack at {@value #MAX_STACK} entries and the memo at {@value #MAX_MEMO}.</li>
 *   <li>Dictionary keys must be strings, numbers, booleans or None, so hashing never recurses into hostile
 *       nesting.</li>
 * </ul>
 * Opcodes follow CPython's {@code Lib/pickletools.py} (names and argument encodings) and {@code Lib/pickle.py}
 * (semantics). Text-mode (protocol 0/1) opcodes, extension registries and sets are not part of a checkpoint and
 * are rejected as unsupported.
 */
final class Unpickler {
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MEMO = 1 << 22;
    static final int MAX_STRING = 16 << 20;
    /**
     * Objects (stack pushes and memo entries) any pickle may create, plus one per {@value #FILE_BYTES_PER_OBJECT}
     * bytes of the file. Each costs up to about 70 bytes of heap, so a hostile pickle made of nothing but
     * object-creating opcodes (a megabyte of {@code MEMOIZE} cost 74 MB before) stays within about half a MiB plus a
     * quarter of the file's size. {@code torch.save} creates about 25 per tensor, while every tensor also adds at least ~170
     * bytes of zip records plus its data to the file, so real checkpoints do not reach the budget (a file of more
     * than about 700 nearly empty tensors would).
     */
    static final int BASE_OBJECTS = 8_192;
    static final int FILE_BYTES_PER_OBJECT = 256;
    private static final int MAX_GLOBAL_LINE = 256;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Supplies the storage behind a persistent id {@code ('storage', type, key, location, numel)}. */
    @FunctionalInterface
    interface StorageResolver {
        /**
         * @param at byte offset of the BINPERSID opcode in data.pkl, for messages
         */
        Storage resolve(String key, TorchStorageType type, long numel, long at);
    }

    private final Path file;
    private final String entryName;
    private final long fileOffset;
    private final MemorySegment data;
    private final StorageResolver storages;
    private final List<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private final long objectBudget;
    private long objects;
    private long pos;

    /** An unpickler for an in-memory pickle with no file behind it: only the fixed stack and memo caps apply. */
    Unpickler(Path file, String entryName, long fileOffset, MemorySegment data, StorageResolver storages) {
        this(file, entryName, fileOffset, data, storages, Long.MAX_VALUE);
    }

    /**
     * @param fileOffset where {@code data} starts in {@code file}, so errors give absolute byte offsets
     * @param fileSize   size of the whole file, which sets the object budget ({@link #BASE_OBJECTS})
     */
    Unpickler(Path file, String entryName, long fileOffset, MemorySegment data, StorageResolver storages, long fileSize) {
        this.file = file;
        this.entryName = entryName;
        this.fileOffset = fileOffset;
        this.data = data;
        this.storages = storages;
        this.objectBudget = fileSize == Long.MAX_VALUE ? Long.MAX_VALUE : BASE_OBJECTS + fileSize / FILE_BYTES_PER_OBJECT;
    }

    /** Counts one created object against the budget. */
    private void create(long at) {
        if (++objects > objectBudget) {
            throw error(at, "pickle creates more than " + objectBudget + " objects, more than a checkpoint of this "
                    + "size can describe: malformed or hostile data.pkl");
        }
    }

    /**
     * Runs the pickle to its STOP opcode and returns the top-level object.
     *
     * @throws WeightFormatException for a forbidden global, an unsupported opcode or a malformed pickle, with the
     *                               file, the entry and the byte offset
     */
    Object load() {
        while (true) {
            if (pos >= data.byteSize()) {
                throw error(pos, "pickle ends without a STOP opcode: data.pkl is truncated");
            }
            long at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto < 2 || proto > 5) {
                        throw error(at, "pickle protocol " + proto + " is not supported (torch.save writes 2)");
                    }
                }
                case 0x95 -> { // FRAME: an 8-byte length hint; the content follows inline
                    long n = data.get(I64, need(8));
                    if (n < 0 || n > remaining()) {
                        throw error(at, "FRAME of " + Long.toUnsignedString(n) + " bytes runs past the end of data.pkl");
                    }
                }
                case '.' -> { // STOP
                    return pop(at);
                }
                case '(' -> mark(at);
                case '0' -> pop(at); // POP
                case '1' -> popMark(at); // POP_MARK
                case '2' -> push(at, peek(at)); // DUP
                case '}' -> push(at, new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(at, new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(at, PyTuple.of()); // EMPTY_TUPLE
                case 't' -> push(at, new PyTuple(nullable(popMark(at)))); // TUPLE
                case 0x85 -> push(at, PyTuple.of(pop(at))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(at);
                    Object a = pop(at);
                    push(at, PyTuple.of(a, b));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(at);
                    Object b = pop(at);
                    Object a = pop(at);
                    push(at, PyTuple.of(a, b, c));
                }
                case 'l' -> push(at, new ArrayList<>(popMark(at))); // LIST
                case 'd' -> { // DICT
                    List<Object> items = popMark(at);
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(at, d, items);
                    push(at, d);
                }
                case 'a' -> { // APPEND
                    Object v = pop(at);
                    list(at, peek(at)).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(at);
                    list(at, peek(at)).addAll(items);
                }
                case 's' -> { // SETITEM
                    Object v = pop(at);
                    Object k = pop(at);
                    putPairs(at, dict(at, peek(at)), Arrays.asList(k, v));
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark(at);
                    putPairs(at, dict(at, peek(at)), items);
                }
                case 'N' -> push(at, null); // NONE
                case 0x88 -> push(at, Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(at, Boolean.FALSE); // NEWFALSE
                case 'J' -> push(at, (long) data.get(I32, need(4))); // BININT
                case 'K' -> push(at, (long) u8()); // BININT1
                case 'M' -> push(at, (long) Short.toUnsignedInt(data.get(U16, need(2)))); // BININT2
                case 0x8a -> push(at, longBytes(at, u8())); // LONG1
                case 0x8b -> push(at, longBytes(at, data.get(I32, need(4)))); // LONG4
                case 'G' -> push(at, Double.longBitsToDouble(data.get(I64_BE, need(8)))); // BINFLOAT
                case 'X' -> push(at, string(at, Integer.toUnsignedLong(data.get(I32, need(4))))); // BINUNICODE
                case 0x8c -> push(at, string(at, u8())); // SHORT_BINUNICODE
                case 0x8d -> push(at, string(at, data.get(I64, need(8)))); // BINUNICODE8
                case 'B' -> push(at, bytes(at, Integer.toUnsignedLong(data.get(I32, need(4))))); // BINBYTES
                case 'C' -> push(at, bytes(at, u8())); // SHORT_BINBYTES
                case 0x8e -> push(at, bytes(at, data.get(I64, need(8)))); // BINBYTES8
                case 'q' -> memoPut(at, u8()); // BINPUT
                case 'r' -> memoPut(at, Integer.toUnsignedLong(data.get(I32, need(4)))); // LONG_BINPUT
                case 0x94 -> memoPut(at, memo.size()); // MEMOIZE
                case 'h' -> memoGet(at, u8()); // BINGET
                case 'j' -> memoGet(at, Integer.toUnsignedLong(data.get(I32, need(4)))); // LONG_BINGET
                case 'c' -> { // GLOBAL "module\nname\n"
                    String module = line(at);
                    String name = line(at);
                    push(at, global(at, module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error(at, "STACK_GLOBAL needs two strings on the stack");
                    }
                    push(at, global(at, m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(at, call(at, callable, tuple(at, args, "REDUCE arguments")));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop(at);
                    Object cls = pop(at);
                    push(at, newObject(at, cls, tuple(at, args, "NEWOBJ arguments")));
                }
                case 0x92 -> { // NEWOBJ_EX
                    Object kwargs = pop(at);
                    Object args = pop(at);
                    Object cls = pop(at);
                    if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
                        throw error(at, "NEWOBJ_EX with keyword arguments is not part of a torch checkpoint");
                    }
                    push(at, newObject(at, cls, tuple(at, args, "NEWOBJ_EX arguments")));
                }
                case 'b' -> build(at); // BUILD
                case 'Q' -> push(at, persistentLoad(at, pop(at))); // BINPERSID
                default -> throw error(at, String.format("unknown or unsupported pickle opcode 0x%02x%s; a torch "
                        + "checkpoint's data.pkl uses protocol-2 binary opcodes only", op, printable(op)));
            }
        }
    }

    private static String printable(int op) {
        return op >= 0x21 && op < 0x7f ? " ('" + (char) op + "')" : "";
    }

    /** Looks a global up in the allow-list; this is the only place a name from the file is interpreted. */
    private PickleGlobal global(long at, String module, String name) {
        PickleGlobal g = PickleGlobal.lookup(module, name);
        if (g == null) {
            throw error(at, "forbidden pickle global " + sanitize(module) + "." + sanitize(name)
                    + ": a torch state dict only references tensor-rebuild functions, storage types and "
                    + "collections.OrderedDict; refusing to load it (it could run code under torch.load)");
        }
        return g;
    }

    private Object call(long at, Object callable, PyTuple args) {
        if (!(callable instanceof PickleGlobal g)) {
            throw error(at, "REDUCE calls a " + typeName(callable) + ", not an allowed function");
        }
        return switch (g) {
            case REBUILD_TENSOR_V2 -> rebuildTensor(at, args);
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) {
                    throw error(at, g.qualifiedName() + " needs a tensor as its first argument");
                }
                yield t;
            }
            case REBUILD_FROM_TYPE_V2 -> {
                if (args.size() < 3 || args.get(0) != PickleGlobal.REBUILD_TENSOR_V2
                        || !(args.get(1) == PickleGlobal.TENSOR_CLASS || args.get(1) == PickleGlobal.PARAMETER_CLASS)) {
                    throw error(at, g.qualifiedName() + " must apply _rebuild_tensor_v2 for a torch.Tensor or "
                            + "torch.nn.Parameter");
                }
                yield rebuildTensor(at, tuple(at, args.get(2), g.qualifiedName() + " arguments"));
            }
            case ORDERED_DICT -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        PyTuple kv = tuple(at, p, "OrderedDict item");
                        if (kv.size() != 2) {
                            throw error(at, "OrderedDict item is not a (key, value) pair");
                        }
                        putPairs(at, d, kv.items());
                    }
                } else if (args.size() != 0) {
                    throw error(at, "OrderedDict called with unexpected arguments");
                }
                yield d;
            }
            default -> throw error(at, g.qualifiedName() + " is not callable in a torch checkpoint");
        };
    }

    private Object newObject(long at, Object cls, PyTuple args) {
        if (cls == PickleGlobal.ORDERED_DICT && args.size() == 0) {
            return new LinkedHashMap<>();
        }
        throw error(at, "cannot create an instance of " + (cls instanceof PickleGlobal g ? g.qualifiedName() : typeName(cls)));
    }

    /** BUILD sets an object's state; torch uses it for OrderedDict's {@code _metadata}, which is not needed. */
    private void build(long at) {
        pop(at);
        Object target = peek(at);
        if (!(target instanceof Map) && !(target instanceof TensorRef)) {
            throw error(at, "BUILD on a " + typeName(target) + " is not part of a torch checkpoint");
        }
    }

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}
     * from {@code torch/_utils.py}; only the first four arguments describe data.
     */
    private TensorRef rebuildTensor(long at, PyTuple args) {
        if (args.size() < 4 || !(args.get(0) instanceof Storage storage) || !(args.get(1) instanceof Long offset)) {
            throw error(at, "_rebuild_tensor_v2 needs (storage, offset, size, stride, …)");
        }
        long[] size = ints(at, args.get(2), "size");
        long[] stride = ints(at, args.get(3), "stride");
        if (size.length != stride.length) {
            throw error(at, "_rebuild_tensor_v2 size has " + size.length + " dimensions, stride " + stride.length);
        }
        return new TensorRef(storage, offset, size, stride);
    }

    private long[] ints(long at, Object o, String what) {
        PyTuple t = tuple(at, o, "_rebuild_tensor_v2 " + what);
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0) {
                throw error(at, "_rebuild_tensor_v2 " + what + " must hold non-negative integers");
            }
            out[i] = v;
        }
        return out;
    }

    /** BINPERSID with torch's {@code ('storage', storage_type, key, location, numel)}. */
    private Storage persistentLoad(long at, Object pid) {
        PyTuple t = tuple(at, pid, "persistent id");
        if (t.size() != 5 || !"storage".equals(t.get(0))) {
            throw error(at, "persistent id is not torch's ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof PickleGlobal g) || g.storage() == null) {
            throw error(at, "persistent id names a " + typeName(t.get(1)) + " instead of a torch storage type");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw error(at, "persistent id has a malformed key or element count");
        }
        return storages.resolve(key, g.storage(), numel, fileOffset + at);
    }

    private void putPairs(long at, Map<Object, Object> d, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw error(at, "odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object k = items.get(i);
            if (k != null && !(k instanceof String) && !(k instanceof Long) && !(k instanceof Boolean)
                    && !(k instanceof Double)) {
                throw error(at, "dict key of type " + typeName(k) + " is not supported");
            }
            d.put(k, items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(long at, Object o) {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw error(at, "SETITEM(S) on a " + typeName(o) + ", not a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(long at, Object o) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw error(at, "APPEND(S) on a " + typeName(o) + ", not a list");
    }

    private PyTuple tuple(long at, Object o, String what) {
        if (o instanceof PyTuple t) {
            return t;
        }
        throw error(at, what + " must be a tuple, found a " + typeName(o));
    }

    private static List<Object> nullable(List<Object> items) {
        return java.util.Collections.unmodifiableList(new ArrayList<>(items));
    }

    private void push(long at, Object o) {
        create(at);
        if (stack.size() >= MAX_STACK) {
            throw error(at, "pickle stack deeper than " + MAX_STACK + " entries");
        }
        stack.add(o);
    }

    private Object pop(long at) {
        if (stack.isEmpty() || (markCount > 0 && stack.size() <= marks[markCount - 1])) {
            throw error(at, "pickle stack underflow: malformed data.pkl");
        }
        return stack.removeLast();
    }

    private Object peek(long at) {
        if (stack.isEmpty() || (markCount > 0 && stack.size() <= marks[markCount - 1])) {
            throw error(at, "pickle stack underflow: malformed data.pkl");
        }
        return stack.getLast();
    }

    private void mark(long at) {
        if (markCount >= MAX_STACK) {
            throw error(at, "more than " + MAX_STACK + " nested MARKs");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    /** The items above the last MARK, removed from the stack, in order. */
    private List<Object> popMark(long at) {
        if (markCount == 0) {
            throw error(at, "no MARK on the stack: malformed data.pkl");
        }
        int from = marks[--markCount];
        List<Object> top = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private void memoPut(long at, long index) {
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw error(at, "pickle memo larger than " + MAX_MEMO + " entries");
        }
        create(at);
        memo.put(index, peek(at));
    }

    private void memoGet(long at, long index) {
        if (!memo.containsKey(index)) {
            throw error(at, "memo entry " + index + " is read before it is written: malformed data.pkl");
        }
        push(at, memo.get(index));
    }

    private long longBytes(long at, long n) {
        if (n < 0 || n > 8) {
            throw error(at, "integer of " + n + " bytes is larger than 64 bits");
        }
        long off = need(n);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, off + i)) << (8 * i);
        }
        if (n > 0 && n < 8 && (data.get(ValueLayout.JAVA_BYTE, off + n - 1) & 0x80) != 0) {
            v |= -1L << (8 * n);
        }
        return v;
    }

    private String string(long at, long n) {
        long off = need(checkLength(at, n));
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data.asSlice(off, n).toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw error(at, "string is not valid UTF-8");
        }
    }

    private byte[] bytes(long at, long n) {
        long off = need(checkLength(at, n));
        return data.asSlice(off, n).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Checks a length from the file before anything of that size is allocated. */
    private long checkLength(long at, long n) {
        if (n < 0 || n > remaining()) {
            throw error(at, "length " + Long.toUnsignedString(n) + " runs past the end of data.pkl ("
                    + remaining() + " bytes left)");
        }
        if (n > MAX_STRING) {
            throw error(at, "string of " + n + " bytes is larger than the " + MAX_STRING + "-byte limit");
        }
        return n;
    }

    /** A newline-terminated ASCII argument of GLOBAL. */
    private String line(long at) {
        long start = pos;
        long limit = Math.min(data.byteSize(), start + MAX_GLOBAL_LINE);
        for (long p = start; p < limit; p++) {
            if (data.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                pos = p + 1;
                return new String(data.asSlice(start, p - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
            }
        }
        throw error(at, "GLOBAL argument without a newline within " + MAX_GLOBAL_LINE + " bytes");
    }

    private static String sanitize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    private int u8() {
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, need(1)));
    }

    /** Reserves {@code n} bytes of opcode argument and returns where they start. */
    private long need(long n) {
        if (n > remaining()) {
            throw error(pos, "opcode argument runs past the end of data.pkl: the pickle is truncated");
        }
        long at = pos;
        pos += n;
        return at;
    }

    private long remaining() {
        return data.byteSize() - pos;
    }

    private static String typeName(Object o) {
        return switch (o) {
            case null -> "None";
            case String _ -> "str";
            case Long _ -> "int";
            case Double _ -> "float";
            case Boolean _ -> "bool";
            case byte[] _ -> "bytes";
            case PyTuple _ -> "tuple";
            case List<?> _ -> "list";
            case Map<?, ?> _ -> "dict";
            case Storage _ -> "storage";
            case TensorRef _ -> "tensor";
            case PickleGlobal g -> g.qualifiedName();
            default -> o.getClass().getSimpleName();
        };
    }

    private WeightFormatException error(long at, String problem) {
        return new WeightFormatException(file, null, fileOffset + at, problem + " (byte " + at + " of " + entryName + ")");
    }
}
