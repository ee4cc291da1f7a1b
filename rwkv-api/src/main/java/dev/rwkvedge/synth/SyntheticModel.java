package dev.rwkvedge.synth;

import dev.rwkvedge.model.DenseShape;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Half;
import dev.rwkvedge.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Seeded synthetic RWKV models of real shapes, for benchmarks and demos, in the canonical layout.
 *
 * <p>Random i.i.d. weights would make every compression method look equally bad (their spectrum is flat). Trained
 * projections instead concentrate energy in a few directions, so each 2-D matrix here is
 * {@code W = s·(A·B/√r) + s·ε·N} with A, B standard Gaussian, r = min(rows, cols)/4, ε = 0.1 and
 * s = 1/√cols (the scale of trained weights, which keeps activations of order one). Vectors follow RWKV's own
 * initialisation (RWKV-LM {@code model.py}): decay speeds spread over channels and layers, token-shift mixes in
 * (0, 1), LayerNorm weights 1 and biases 0. Every row is generated from its own seeded stream, so the result does
 * not depend on thread scheduling.
 *
 * <p>The same enumeration, without values, is the canonical tensor list of a dense model of a {@link DenseShape}
 * ({@link #tensorShapes}): the memory account's dense baseline counts it.
 */
public final class SyntheticModel {
    private static final double NOISE = 0.1;

    private final DenseShape spec;
    private final DType dtype;
    private final long seed;
    /** Null when only shapes are listed. */
    private final ModelWeights.Builder out;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private int tensorIndex;

    private SyntheticModel(DenseShape shape, DType dtype, long seed, boolean values) {
        this.spec = shape;
        this.dtype = dtype;
        this.seed = seed;
        this.out = values ? ModelWeights.builder(null, "memory") : null;
    }

    public static ModelWeights generate(SynthSpec spec) {
        SyntheticModel m = new SyntheticModel(spec.denseShape(), spec.dtype(), spec.seed(), true);
        m.build();
        return m.out.metadata("synthetic", "true")
                .metadata("synthetic.version", spec.version().id())
                .metadata("synthetic.seed", Long.toString(spec.seed()))
                .metadata("synthetic.recipe", "W = (A·B/sqrt(r) + 0.1·N)/sqrt(cols), r = min(rows, cols)/4")
                .build();
    }

    private void build() {
        int c = spec.embd();
        int v = spec.vocab();
        matrix("emb.weight", v, c);
        for (int l = 0; l < spec.layers(); l++) {
            if (l == 0) {
                vector("blocks.0.ln0.weight", c, i -> 1.0);
                vector("blocks.0.ln0.bias", c, i -> 0.0);
            }
            vector(b(l, "ln1.weight"), c, i -> 1.0);
            vector(b(l, "ln1.bias"), c, i -> 0.0);
            vector(b(l, "ln2.weight"), c, i -> 1.0);
            vector(b(l, "ln2.bias"), c, i -> 0.0);
            switch (spec.version()) {
                case V4 -> v4(l);
                case V5_1, V5_2 -> v5(l);
                case V6 -> v6(l);
                case V7 -> v7(l);
            }
        }
        vector("ln_out.weight", c, i -> 1.0);
        vector("ln_out.bias", c, i -> 0.0);
        matrix("head.weight", v, c);
    }

    /** Every tensor of a dense model of {@code shape}, name → shape, in file order; nothing is generated. */
    public static Map<String, long[]> tensorShapes(DenseShape shape) {
        SyntheticModel m = new SyntheticModel(shape, DType.F32, 0, false);
        m.build();
        return Collections.unmodifiableMap(m.shapes);
    }

    private static String b(int l, String s) {
        return "blocks." + l + "." + s;
    }

    /** Layer position in [0, 1] (RWKV-LM's ratio_0_to_1). */
    private double ratio(int l) {
        return spec.layers() == 1 ? 0 : (double) l / (spec.layers() - 1);
    }

    /** Token-shift mix of channel i: 1 − (i/C)^(1 − ratio), as RWKV-LM initialises time_mix. */
    private java.util.function.IntToDoubleFunction mix(int l, double power) {
        int c = spec.embd();
        double r1 = 1 - ratio(l) * power;
        return i -> 1 - Math.pow((double) i / c, Math.max(0.05, r1));
    }

    /** Decay speed of channel i: −6 + 5·(i/(n−1))^(0.7 + 1.3·ratio) (RWKV-LM v5/v6 init). */
    private double decaySpeed(int i, int n, int l) {
        return -6 + 5 * Math.pow((double) i / Math.max(1, n - 1), 0.7 + 1.3 * ratio(l));
    }

    private void ffnAndShift(int l, boolean receptance) {
        int c = spec.embd();
        int f = spec.ffn();
        matrix(b(l, "ffn.key.weight"), f, c);
        matrix(b(l, "ffn.value.weight"), c, f);
        if (receptance) {
            matrix(b(l, "ffn.receptance.weight"), c, c);
        }
    }

    private void v4(int l) {
        int c = spec.embd();
        vector(b(l, "att.time_mix_k"), c, mix(l, 1));
        vector(b(l, "att.time_mix_v"), c, mix(l, 0.7));
        vector(b(l, "att.time_mix_r"), c, mix(l, 0.5));
        vector(b(l, "att.time_decay"), c, i -> -Math.exp(-5 + 8 * Math.pow((double) i / (c - 1), 0.7 + 1.3 * ratio(l))));
        vector(b(l, "att.time_first"), c, i -> Math.log(0.3) + 0.5 * (((i + 1) % 3) - 1));
        matrix(b(l, "att.key.weight"), c, c);
        matrix(b(l, "att.value.weight"), c, c);
        matrix(b(l, "att.receptance.weight"), c, c);
        matrix(b(l, "att.output.weight"), c, c);
        vector(b(l, "ffn.time_mix_k"), c, mix(l, 1));
        vector(b(l, "ffn.time_mix_r"), c, mix(l, 1));
        ffnAndShift(l, true);
    }

    private void v5(int l) {
        int c = spec.embd();
        int h = spec.heads();
        int s = spec.headSize();
        boolean v52 = spec.version() == RwkvVersion.V5_2;
        vector(b(l, "att.time_mix_k"), c, mix(l, 1));
        vector(b(l, "att.time_mix_v"), c, mix(l, 0.7));
        vector(b(l, "att.time_mix_r"), c, mix(l, 0.5));
        if (v52) {
            vector(b(l, "att.time_mix_g"), c, mix(l, 0.5));
            tensor(b(l, "att.time_decay"), new long[] {h, s, 1}, i -> Math.exp(-Math.exp(decaySpeed(i, c, l))));
            tensor(b(l, "att.time_faaaa"), new long[] {h, s, 1}, i -> ratio(l) * (1 - (double) i / (c - 1)) + 0.1 * (((i + 1) % 3) - 1));
            matrix(b(l, "att.gate.weight"), c, c);
        } else {
            tensor(b(l, "att.time_decay"), new long[] {h, 1, 1}, i -> Math.exp(-Math.exp(decaySpeed(i, h, l))));
            tensor(b(l, "att.time_first"), new long[] {h, 1, 1}, i -> Math.exp(-3.0));
        }
        matrix(b(l, "att.key.weight"), c, c);
        matrix(b(l, "att.value.weight"), c, c);
        matrix(b(l, "att.receptance.weight"), c, c);
        matrix(b(l, "att.output.weight"), c, c);
        vector(b(l, "att.ln_x.weight"), c, i -> 1.0);
        vector(b(l, "att.ln_x.bias"), c, i -> 0.0);
        vector(b(l, "ffn.time_mix_k"), c, mix(l, 1));
        vector(b(l, "ffn.time_mix_r"), c, mix(l, 1));
        ffnAndShift(l, true);
    }

    private void v6(int l) {
        int c = spec.embd();
        int h = spec.heads();
        int s = spec.headSize();
        int mixLora = spec.lora().mix();
        int decayLora = spec.lora().decay();
        for (String n : new String[] {"x", "w", "k", "v", "r", "g"}) {
            vector(b(l, "att.time_maa_" + n), c, mix(l, n.equals("v") ? 0.7 : 1));
        }
        small(b(l, "att.time_maa_w1"), new long[] {5L * mixLora, c}, 0.01);
        small(b(l, "att.time_maa_w2"), new long[] {5, c, mixLora}, 0.01);
        tensor(b(l, "att.time_decay"), new long[] {h, s, 1}, i -> decaySpeed(i, c, l));
        small(b(l, "att.time_decay_w1"), new long[] {decayLora, c}, 0.01);
        small(b(l, "att.time_decay_w2"), new long[] {c, decayLora}, 0.01);
        tensor(b(l, "att.time_faaaa"), new long[] {h, s, 1}, i -> ratio(l) * (1 - (double) i / (c - 1)) + 0.1 * (((i + 1) % 3) - 1));
        matrix(b(l, "att.receptance.weight"), c, c);
        matrix(b(l, "att.key.weight"), c, c);
        matrix(b(l, "att.value.weight"), c, c);
        matrix(b(l, "att.gate.weight"), c, c);
        matrix(b(l, "att.output.weight"), c, c);
        vector(b(l, "att.ln_x.weight"), c, i -> 1.0);
        vector(b(l, "att.ln_x.bias"), c, i -> 0.0);
        vector(b(l, "ffn.time_maa_k"), c, mix(l, 1));
        vector(b(l, "ffn.time_maa_r"), c, mix(l, 1));
        ffnAndShift(l, true);
    }

    private void v7(int l) {
        int c = spec.embd();
        int h = spec.heads();
        int s = spec.headSize();
        int wLora = spec.lora().w();
        int aLora = spec.lora().a();
        int vLora = spec.lora().v();
        int gLora = spec.lora().g();
        tensor(b(l, "att.x_rwkvag"), new long[] {6, 1, c}, i -> mix(l, 0.5 + 0.1 * (i / c)).applyAsDouble(i % c));
        tensor(b(l, "att.w0"), new long[] {1, 1, c}, i -> decaySpeed(i, c, l) + 0.5);
        small(b(l, "att.w1"), new long[] {wLora, c}, 0.01);
        small(b(l, "att.w2"), new long[] {c, wLora}, 0.01);
        tensor(b(l, "att.a0"), new long[] {1, 1, c}, i -> 0.0);
        small(b(l, "att.a1"), new long[] {aLora, c}, 0.01);
        small(b(l, "att.a2"), new long[] {c, aLora}, 0.01);
        if (l > 0) {
            tensor(b(l, "att.v0"), new long[] {1, 1, c}, i -> 1.0);
            small(b(l, "att.v1"), new long[] {vLora, c}, 0.01);
            small(b(l, "att.v2"), new long[] {c, vLora}, 0.01);
        }
        small(b(l, "att.g1"), new long[] {gLora, c}, 1.0 / Math.sqrt(c));
        small(b(l, "att.g2"), new long[] {c, gLora}, 1.0 / Math.sqrt(gLora));
        tensor(b(l, "att.k_k"), new long[] {1, 1, c}, i -> 0.85);
        tensor(b(l, "att.k_a"), new long[] {1, 1, c}, i -> 1.0);
        tensor(b(l, "att.r_k"), new long[] {h, s}, i -> -0.04);
        matrix(b(l, "att.receptance.weight"), c, c);
        matrix(b(l, "att.key.weight"), c, c);
        matrix(b(l, "att.value.weight"), c, c);
        matrix(b(l, "att.output.weight"), c, c);
        double lnx = Math.pow((1.0 + l) / spec.layers(), 0.7);
        vector(b(l, "att.ln_x.weight"), c, i -> lnx);
        vector(b(l, "att.ln_x.bias"), c, i -> 0.0);
        tensor(b(l, "ffn.x_k"), new long[] {1, 1, c}, mix(l, 1)::applyAsDouble);
        ffnAndShift(l, false);
    }

    private void vector(String name, int n, java.util.function.IntToDoubleFunction f) {
        tensor(name, new long[] {n}, f);
    }

    /** An F32 tensor whose flat element i is {@code f(i)}. */
    private void tensor(String name, long[] shape, java.util.function.IntToDoubleFunction f) {
        if (out == null) {
            shapes.put(name, shape);
            return;
        }
        int n = Math.toIntExact(Tensor.count(shape));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) f.applyAsDouble(i);
        }
        tensorIndex++;
        out.put(Tensor.ofFloats(name, v, shape));
    }

    /** A small dense Gaussian tensor (LoRA factors), kept F32 as rwkv.cpp keeps v7 LoRAs. */
    private void small(String name, long[] shape, double std) {
        if (out == null) {
            shapes.put(name, shape);
            return;
        }
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + tensorIndex++);
        int n = Math.toIntExact(Tensor.count(shape));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        out.put(Tensor.ofFloats(name, v, shape));
    }

    /** A low-rank-plus-noise matrix of {@code rows × cols} in the spec's dtype. */
    private void matrix(String name, int rows, int cols) {
        if (out == null) {
            shapes.put(name, new long[] {rows, cols});
            return;
        }
        int r = Math.max(1, Math.min(rows, cols) / 4);
        long base = seed * 1_000_003L + tensorIndex++;
        float[] bMat = new float[r * cols];
        SplittableRandom rb = new SplittableRandom(base ^ 0x5DEECE66DL);
        for (int i = 0; i < bMat.length; i++) {
            bMat[i] = (float) rb.nextGaussian();
        }
        float scale = (float) (1.0 / Math.sqrt(cols));
        float lowRank = (float) (scale / Math.sqrt(r));
        float noise = (float) (NOISE * scale);
        boolean f16 = dtype == DType.F16;
        float[] f32 = f16 ? null : new float[rows * cols];
        short[] h16 = f16 ? new short[rows * cols] : null;
        IntStream.range(0, rows).parallel().forEach(row -> {
            SplittableRandom rnd = new SplittableRandom(base * 31 + row);
            float[] a = new float[r];
            for (int k = 0; k < r; k++) {
                a[k] = (float) rnd.nextGaussian();
            }
            float[] acc = new float[cols];
            for (int k = 0; k < r; k++) {
                float ak = a[k];
                int off = k * cols;
                for (int j = 0; j < cols; j++) {
                    acc[j] += ak * bMat[off + j];
                }
            }
            int o = row * cols;
            for (int j = 0; j < cols; j++) {
                float w = acc[j] * lowRank + noise * (float) rnd.nextGaussian();
                if (f16) {
                    h16[o + j] = Half.floatToF16(w);
                } else {
                    f32[o + j] = w;
                }
            }
        });
        MemorySegment seg = f16 ? MemorySegment.ofArray(h16) : MemorySegment.ofArray(f32);
        out.put(new Tensor(name, dtype, new long[] {rows, cols}, seg));
    }
}
