package dev.rwkvedge.format.pth;

import dev.rwkvedge.format.pth.PickleValues.PyTuple;
import dev.rwkvedge.format.pth.PickleValues.Storage;
import dev.rwkvedge.format.pth.PickleValues.TensorRef;
import dev.rwkvedge.model.WeightFormatException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.rwkvedge.format.testing.Messages.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The restricted unpickler on hand-made pickles: what it builds, and everything hostile it must refuse. */
class UnpicklerTest {
    private final AtomicInteger resolved = new AtomicInteger();

    private Object load(byte[] pickle) {
        Unpickler.StorageResolver resolver = (key, type, numel, at) -> {
            resolved.incrementAndGet();
            return new Storage(key, type, numel, MemorySegment.ofArray(new byte[(int) (numel * type.elementBytes())]), 0);
        };
        return new Unpickler(Path.of("test.pth"), "archive/data.pkl", 0, MemorySegment.ofArray(pickle), resolver).load();
    }

    private WeightFormatException refused(byte[] pickle) {
        return assertThrows(WeightFormatException.class, () -> load(pickle));
    }

    private static TestArchives.Pickle p() {
        return new TestArchives.Pickle().proto2();
    }

    @Test
    void buildsAStateDictOfTensorViews() {
        byte[] pkl = p().op('}', '(').unicode("a").tensor("HalfStorage", "0", 6, new int[] {2, 3}, new int[] {3, 1})
                .op('u', '.').bytes();
        Map<?, ?> d = assertInstanceOf(Map.class, load(pkl));
        TensorRef t = assertInstanceOf(TensorRef.class, d.get("a"));
        assertArrayEquals(new long[] {2, 3}, t.size());
        assertArrayEquals(new long[] {3, 1}, t.stride());
        assertEquals(TorchStorageType.HALF, t.storage().type());
        assertEquals(1, resolved.get());
    }

    @Test
    void pickleWriterOutputReadsBack() {
        PickleWriter w = new PickleWriter();
        for (int i = 0; i < 1500; i++) {
            w.tensor("t" + i, TorchStorageType.FLOAT, Integer.toString(i), new long[] {i % 3 + 1, 70000});
        }
        Map<?, ?> d = assertInstanceOf(Map.class, load(w.finish()));
        assertEquals(1500, d.size());
        TensorRef t = (TensorRef) d.get("t1499");
        assertArrayEquals(new long[] {3, 70000}, t.size());
        assertArrayEquals(new long[] {70000, 1}, t.stride());
    }

    @Test
    void memoAndPrimitiveOpcodes() {
        byte[] pkl = p().op(']', 'q', 0, '(').op('N', 0x88, 0x89).op('J', 0xfe, 0xff, 0xff, 0xff)
                .op(0x8a, 2, 0x00, 0x80).op('G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0).op(0x8c, 1, 'x').op('h', 0)
                .op('e', '.').bytes();
        List<?> l = assertInstanceOf(List.class, load(pkl));
        assertEquals(8, l.size());
        assertEquals(null, l.get(0));
        assertEquals(Boolean.TRUE, l.get(1));
        assertEquals(-2L, l.get(3));
        assertEquals(-32768L, l.get(4));
        assertEquals(1.5, l.get(5));
        assertEquals("x", l.get(6));
        assertTrue(l.get(7) == l, "BINGET returns the memoised object itself");
    }

    @Test
    void forbiddenGlobalIsRefusedAtTheGlobalOpcode() {
        byte[] pkl = p().op('}', '(').unicode("emb.weight").global("os", "system").unicode("true").op(0x85, 'R', 'u', '.')
                .bytes();
        WeightFormatException e = refused(pkl);
        assertMentions(e, "forbidden pickle global os.system", "byte 19 of archive/data.pkl");
        assertEquals(19, e.offset());
    }

    @Test
    void forbiddenStackGlobalIsRefused() {
        byte[] pkl = p().unicode("builtins").unicode("eval").op(0x93, '.').bytes();
        assertMentions(refused(pkl), "forbidden pickle global builtins.eval");
    }

    @Test
    void loadFromBytesIsNotAllowed() {
        assertMentions(refused(p().global("torch.storage", "_load_from_bytes").op('.').bytes()),
                "forbidden pickle global torch.storage._load_from_bytes");
    }

    @Test
    void allowedGlobalsCannotBeMisused() {
        assertMentions(refused(p().global("torch", "FloatStorage").op(')', 'R', '.').bytes()),
                "torch.FloatStorage is not callable");
        assertMentions(refused(p().global("torch._utils", "_rebuild_tensor_v2").op(')', 'R', '.').bytes()),
                "_rebuild_tensor_v2 needs");
        assertMentions(refused(p().global("torch", "Tensor").op(')', 0x81, '.').bytes()),
                "cannot create an instance of torch.Tensor");
        assertMentions(refused(p().op(']', '}', 'b', '.').bytes()), "BUILD on a list");
    }

    @Test
    void persistentIdMustBeATorchStorage() {
        byte[] pkl = p().op('(').unicode("storage").global("collections", "OrderedDict").unicode("0").unicode("cpu")
                .int1(1).op('t', 'Q', '.').bytes();
        assertMentions(refused(pkl), "instead of a torch storage type");
        assertEquals(0, resolved.get());
    }

    @Test
    void unknownAndTextModeOpcodesAreRefused() {
        assertMentions(refused(p().op(0xff).bytes()), "unknown or unsupported pickle opcode 0xff", "byte 2 of");
        assertMentions(refused(p().op('I').bytes()), "opcode 0x49 ('I')");
        assertMentions(refused(p().op('i').bytes()), "opcode 0x69 ('i')");
        assertMentions(refused(new byte[] {(byte) 0x80, 6, '.'}), "pickle protocol 6 is not supported");
    }

    @Test
    void hostileLengthsAreCheckedBeforeAllocating() {
        assertMentions(refused(p().op('X', 0xff, 0xff, 0xff, 0x7f).bytes()), "length 2147483647 runs past the end");
        assertMentions(refused(p().op(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40).bytes()), "runs past the end");
        assertMentions(refused(p().op(0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).bytes()),
                "length 18446744073709551615 runs past the end");
        assertMentions(refused(p().op(0x8b, 0, 0, 0, 0x10).bytes()), "larger than 64 bits");
        assertMentions(refused(p().op(0x95, 0, 0, 0, 0, 0, 0, 0, 1).bytes()), "FRAME of");
        assertMentions(refused(p().op('J', 1).bytes()), "truncated");
    }

    @Test
    void malformedStackUseIsRefused() {
        assertMentions(refused(p().op(0x86, '.').bytes()), "stack underflow");
        assertMentions(refused(p().op('(', 'a', '.').bytes()), "stack underflow");
        assertMentions(refused(p().op('t', '.').bytes()), "no MARK");
        assertMentions(refused(p().op('h', 5, '.').bytes()), "memo entry 5 is read before it is written");
        assertMentions(refused(p().op('}', ')', ')', 's', '.').bytes()), "dict key of type tuple is not supported");
        assertMentions(refused(p().op(']', 'K', 1, 'K', 2, 's', '.').bytes()), "SETITEM(S) on a list");
        assertMentions(refused(p().op('N').bytes()), "without a STOP opcode");
    }

    @Test
    void deepNestingNeitherRecursesNorOverflows() {
        TestArchives.Pickle deep = p().op('N');
        for (int i = 0; i < 200_000; i++) {
            deep.op(0x85);
        }
        Object o = load(deep.op('.').bytes());
        assertInstanceOf(PyTuple.class, o);
    }

    @Test
    void stackAndMemoAreBounded() {
        TestArchives.Pickle many = p();
        for (int i = 0; i <= Unpickler.MAX_STACK; i++) {
            many.op('N');
        }
        assertMentions(refused(many.bytes()), "pickle stack deeper than");
    }

    /**
     * The proof that nothing named in a file can run: no class of the pth package calls into reflection, class
     * loading, method handles or process creation. A pickle's globals are only ever compared as strings.
     */
    @Test
    void pthPackageNeverLoadsClassesOrStartsProcesses() throws IOException, URISyntaxException {
        Path classes = Path.of(PthFormatProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("dev/rwkvedge/format/pth");
        List<String> forbidden = List.of("java/lang/Class.forName", "java/lang/Class.newInstance",
                "java/lang/Class.getMethod", "java/lang/Class.getDeclaredMethod", "java/lang/Class.getConstructor",
                "java/lang/Class.getDeclaredConstructor", "java/lang/ClassLoader.", "java/lang/reflect/",
                "java/lang/invoke/MethodHandles$Lookup.find", "java/lang/Runtime.exec", "java/lang/ProcessBuilder.",
                "java/io/ObjectInputStream.");
        List<String> found = new ArrayList<>();
        java.util.Set<String> allCalls = new java.util.HashSet<>();
        int scanned = 0;
        try (Stream<Path> files = Files.list(classes)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".class")).toList()) {
                ClassModel cm = ClassFile.of().parse(Files.readAllBytes(f));
                scanned++;
                for (MethodModel m : cm.methods()) {
                    m.code().ifPresent(code -> code.forEach(el -> {
                        if (el instanceof InvokeInstruction inv) {
                            String target = inv.owner().asInternalName() + "." + inv.name().stringValue();
                            allCalls.add(target);
                            for (String bad : forbidden) {
                                if (target.startsWith(bad)) {
                                    found.add(cm.thisClass().asInternalName() + "." + m.methodName() + " calls " + target);
                                }
                            }
                        }
                    }));
                }
            }
        }
        assertTrue(scanned >= 8, "scanned the compiled pth classes (" + scanned + ")");
        assertTrue(allCalls.contains("dev/rwkvedge/format/pth/PickleGlobal.lookup"), "the scan sees calls");
        assertEquals(List.of(), found);
    }
}
