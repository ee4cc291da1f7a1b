package dev.rwkvedge;

import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.RwkvVersion;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The recurrent state of a session: one float vector in rwkv.cpp's layout (RWKV-MATH.md §5), layer after layer:
 * <pre>
 * v4:       [ffn_xx (C) | att_xx (C) | aa (C) | bb (C) | pp (C)]          per layer
 * v5.x-v7:  [ffn_xx (C) | att_xx (C) | wkv: H heads × S × S ]            per layer
 * </pre>
 * so states can be compared with, and exchanged with, rwkv.cpp.
 *
 * <h2>Saved form</h2>
 * Little-endian: magic {@code "RWKVSTAT"}, u32 format version (1), u32 length of the version id, the version id
 * (UTF-8, e.g. {@code v5.2}), u32 n_layer, n_embd, head_size, state length, then the floats.
 */
public final class State {
    private static final byte[] MAGIC = "RWKVSTAT".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;

    private final RwkvVersion version;
    private final int nLayer;
    private final int nEmbd;
    private final int headSize;
    private final float[] data;

    State(RwkvVersion version, int nLayer, int nEmbd, int headSize, float[] data) {
        this.version = version;
        this.nLayer = nLayer;
        this.nEmbd = nEmbd;
        this.headSize = headSize;
        this.data = data;
    }

    /** The initial state: zeros, except v4's pp = −1e30 (as rwkv_init_state). */
    public static State initial(ModelConfig c) {
        float[] d = new float[c.stateLength()];
        if (c.version() == RwkvVersion.V4) {
            int per = c.stateFloatsPerLayer();
            for (int l = 0; l < c.nLayer(); l++) {
                Arrays.fill(d, l * per + 4 * c.nEmbd(), l * per + 5 * c.nEmbd(), -1e30f);
            }
        }
        return new State(c.version(), c.nLayer(), c.nEmbd(), c.headSize(), d);
    }

    /** The live state vector (rwkv.cpp layout). Sessions mutate it; copy it to keep a snapshot. */
    public float[] data() {
        return data;
    }

    public RwkvVersion version() {
        return version;
    }

    public State copy() {
        return new State(version, nLayer, nEmbd, headSize, data.clone());
    }

    /** Copies {@code other}'s values into this state (same model shape). */
    public void copyFrom(State other) {
        if (other.data.length != data.length || other.version != version) {
            throw new RwkvException("state of " + other.describe() + " cannot be copied into a state of " + describe());
        }
        System.arraycopy(other.data, 0, data, 0, data.length);
    }

    void checkCompatible(ModelConfig c) {
        if (c.version() != version || c.nLayer() != nLayer || c.nEmbd() != nEmbd || c.headSize() != headSize) {
            throw new RwkvException("state of " + describe() + " does not fit a model of " + c.version().id()
                    + " with " + c.nLayer() + " layers, n_embd " + c.nEmbd() + ", head size " + c.headSize());
        }
    }

    private String describe() {
        return version.id() + " with " + nLayer + " layers, n_embd " + nEmbd + ", head size " + headSize;
    }

    public void save(OutputStream out) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.write(MAGIC);
        byte[] v = version.id().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer hdr = ByteBuffer.allocate(4 * 6 + v.length).order(ByteOrder.LITTLE_ENDIAN);
        hdr.putInt(FORMAT).putInt(v.length).put(v).putInt(nLayer).putInt(nEmbd).putInt(headSize).putInt(data.length);
        d.write(hdr.array(), 0, hdr.position());
        ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        d.write(body.array());
        d.flush();
    }

    /**
     * Reads a saved state and checks that it fits {@code config}.
     *
     * @throws RwkvException if the stream is not a state, is truncated, or belongs to another model shape
     */
    public static State load(InputStream in, ModelConfig config) throws IOException {
        DataInputStream d = new DataInputStream(in);
        try {
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new RwkvException("not an rwkv-edge state file (bad magic)");
            }
            int format = Integer.reverseBytes(d.readInt());
            if (format != FORMAT) {
                throw new RwkvException("state file format " + format + " is not supported (expected " + FORMAT + ")");
            }
            int vlen = Integer.reverseBytes(d.readInt());
            if (vlen <= 0 || vlen > 16) {
                throw new RwkvException("corrupt state file: version id length " + vlen);
            }
            byte[] vb = new byte[vlen];
            d.readFully(vb);
            RwkvVersion version;
            try {
                version = RwkvVersion.parse(new String(vb, java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new RwkvException("corrupt state file: " + e.getMessage());
            }
            int nLayer = Integer.reverseBytes(d.readInt());
            int nEmbd = Integer.reverseBytes(d.readInt());
            int headSize = Integer.reverseBytes(d.readInt());
            int len = Integer.reverseBytes(d.readInt());
            State probe = new State(version, nLayer, nEmbd, headSize, new float[0]);
            probe.checkCompatible(config);
            if (len != config.stateLength()) {
                throw new RwkvException("state file holds " + len + " floats, the model needs " + config.stateLength());
            }
            byte[] body = new byte[len * 4];
            d.readFully(body);
            float[] data = new float[len];
            ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            return new State(version, nLayer, nEmbd, headSize, data);
        } catch (EOFException e) {
            throw new RwkvException("state file is truncated");
        }
    }
}
