package dev.rwkvedge.it;

import dev.rwkvedge.LoadOptions;
import dev.rwkvedge.Rwkv;
import dev.rwkvedge.RwkvException;
import dev.rwkvedge.RwkvModel;
import dev.rwkvedge.Session;
import dev.rwkvedge.State;
import dev.rwkvedge.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving, loading and copying states gives exactly the logits of an uninterrupted run. */
class StateTest {
    private static final int[] PREFIX = bytes("The quick brown ");
    private static final int[] REST = bytes("fox jumps over the lazy dog.");

    private static int[] bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    private static RwkvModel load(String file) throws IOException {
        return Rwkv.load(Fixtures.require("models/tiny/" + file), LoadOptions.defaults().withBackend("scalar"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-4v0-660K-FP32.bin", "tiny-rwkv-5v1-730K-FP16.bin", "tiny-rwkv-5v2-730K-Q5_0.bin",
            "tiny-rwkv-6v0-1m-FP32.bin", "tiny-rwkv-7v0-834K-Q5_1.bin"})
    void saveLoadContinueEqualsUninterrupted(String file) throws IOException {
        try (RwkvModel m = load(file)) {
            Session whole = m.newSession();
            whole.ingest(PREFIX);
            float[][] expected = new float[REST.length][];
            for (int i = 0; i < REST.length; i++) {
                expected[i] = whole.eval(REST[i]);
            }

            Session first = m.newSession();
            first.evalSequence(PREFIX);
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            first.state().save(saved);

            try (RwkvModel again = load(file)) {
                State restored = State.load(new ByteArrayInputStream(saved.toByteArray()), again.config());
                Session resumed = again.newSession(restored);
                for (int i = 0; i < REST.length; i++) {
                    assertArrayEquals(expected[i], resumed.eval(REST[i]), file + ": step " + i + " after reload");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-4v0-660K-FP32.bin", "tiny-rwkv-7v0-834K-FP32.bin"})
    void copiesDivergeIndependently(String file) throws IOException {
        try (RwkvModel m = load(file)) {
            Session a = m.newSession();
            a.evalSequence(PREFIX);
            Session b = a.copy();
            float[] snapshot = a.state().data().clone();

            float[] la = a.eval('x');
            float[] lb = b.eval('y');
            assertFalse(Arrays.equals(la, lb), "different tokens give different logits");
            // b's step did not touch a, and vice versa: replaying each from the snapshot reproduces them.
            Session a2 = m.newSession();
            a2.state().copyFrom(a.state());
            Session fromSnapshot = m.newSession();
            System.arraycopy(snapshot, 0, fromSnapshot.state().data(), 0, snapshot.length);
            assertArrayEquals(lb, fromSnapshot.copy().eval('y'));
            assertArrayEquals(la, fromSnapshot.eval('x'));
            assertArrayEquals(a.eval('z'), a2.eval('z'));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-rwkv-5v2-730K-FP32.bin"})
    void loadRejectsAnotherModelsState(String file) throws IOException {
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        try (RwkvModel m = load(file)) {
            m.newSession().state().save(saved);
        }
        try (RwkvModel other = load("tiny-rwkv-6v0-1m-FP32.bin")) {
            RwkvException e = assertThrows(RwkvException.class,
                    () -> State.load(new ByteArrayInputStream(saved.toByteArray()), other.config()));
            assertTrue(e.getMessage().contains("v5.2") && e.getMessage().contains("v6"), e.getMessage());
        }
        byte[] truncated = Arrays.copyOf(saved.toByteArray(), saved.size() - 10);
        try (RwkvModel m = load(file)) {
            RwkvException e = assertThrows(RwkvException.class,
                    () -> State.load(new ByteArrayInputStream(truncated), m.config()));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            RwkvException bad = assertThrows(RwkvException.class,
                    () -> State.load(new ByteArrayInputStream("not a state".getBytes(StandardCharsets.UTF_8)), m.config()));
            assertTrue(bad.getMessage().contains("magic"), bad.getMessage());
        }
    }
}
