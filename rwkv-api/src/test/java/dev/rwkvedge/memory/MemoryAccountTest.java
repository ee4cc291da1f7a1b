package dev.rwkvedge.memory;

import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.model.ModelWeights;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.spi.Footprint;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.synth.SyntheticModel;
import dev.rwkvedge.tensor.DType;
import dev.rwkvedge.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The account's rules on a synthetic v5.2 model (1 layer × 64, V 128, F 224, F16 matrices, F32 vectors) with
 * hand-written footprints; the footprints real operators report are checked in integration-tests, where a backend
 * can bind them.
 */
class MemoryAccountTest {
    private static ModelWeights model() {
        return SyntheticModel.generate(new SynthSpec(RwkvVersion.V5_2, 1, 64, 128, 0, 64, DType.F16, 7));
    }

    /**
     * Nothing claimed: every tensor is resident where it is stored. By hand: embedding 128·64·2 + ln0 2·64·4 = 16,896;
     * time-mix 5·64·64·2 + 8 vectors·64·4 = 43,008; channel-mix 2·224·64·2 + 64·64·2 + 2·64·4 = 66,048; norms
     * (ln1, ln2, ln_out) 6·64·4 = 1,536; head 16,384. Dense parameters 70,784.
     */
    @Test
    void unclaimedTensorsAreResidentWhereStored() {
        ModelWeights w = model();
        MemoryAccount a = MemoryAccount.of(w, ModelConfig.of(w), List.of());
        long[][] expected = {{16_896}, {43_008}, {66_048}, {1_536}, {16_384}};
        Component[] comps = {Component.EMBEDDING, Component.TIME_MIX, Component.CHANNEL_MIX, Component.NORMS, Component.HEAD};
        for (int i = 0; i < comps.length; i++) {
            MemoryAccount.Row r = a.components().get(comps[i]);
            assertEquals(expected[i][0], r.stored(), comps[i].id());
            assertEquals(expected[i][0], r.resident(), comps[i].id());
            assertEquals(0, r.onDemand());
        }
        assertEquals(143_872, a.total().stored());
        assertEquals(143_872, a.total().resident());
        assertEquals(70_784, a.dense().parameters());
        assertEquals(2.0 * 70_784 / 143_872, a.ratioVsFp16(), 1e-12);
        assertEquals(4.0 * 70_784 / 143_872, a.ratioVsFp32(), 1e-12);
    }

    /**
     * A per-row INT8 matrix {@code X} (I8) with its scale {@code X.scale} (F32, one per row): claiming X on demand
     * takes the scale along, in X's component, with the same touched share.
     */
    @Test
    void scaleCountsWithItsMatrix() {
        ModelWeights dense = model();
        String x = "blocks.0.ffn.key.weight";
        Tensor i8 = new Tensor(x, DType.I8, new long[] {224, 64}, MemorySegment.ofArray(new byte[224 * 64]));
        Tensor scale = Tensor.ofFloats(x + ".scale", new float[224], 224);
        ModelWeights w = dense.toBuilder().put(i8).put(scale).build();
        MemoryAccount resident = MemoryAccount.of(w, ModelConfig.of(w), List.of());
        // Channel-mix: I8 key 14,336 + scale 896 + value 28,672 + receptance 8,192 + mixes 512.
        assertEquals(52_608, resident.components().get(Component.CHANNEL_MIX).resident());

        MemoryAccount onDemand = MemoryAccount.of(w, ModelConfig.of(w), List.of(Footprint.onDemand(i8, 0.25)));
        MemoryAccount.Row ffn = onDemand.components().get(Component.CHANNEL_MIX);
        assertEquals(14_336 + 896, ffn.onDemand());
        assertEquals(52_608 - 14_336 - 896, ffn.resident());
        assertEquals(0.25 * (14_336 + 896), ffn.touchedPerToken(), 1e-9);
        assertEquals(52_608, ffn.stored());
    }

    /** A scale whose matrix is absent (a name that merely ends in .scale) is an ordinary tensor. */
    @Test
    void scaleWithoutMatrixIsItsOwn() {
        ModelWeights w = model().toBuilder().put(Tensor.ofFloats("blocks.0.att.extra.scale", new float[8], 8)).build();
        MemoryAccount a = MemoryAccount.of(w, ModelConfig.of(w), List.of());
        assertEquals(43_008 + 32, a.components().get(Component.TIME_MIX).resident());
    }

    /**
     * Load-only tensors are stored but not in RAM; allocations are resident without being stored; an on-demand
     * tensor without a known share makes the touched bytes unknown (NaN) for its component and the total, not for
     * the others; two claims of one tensor keep the more resident one.
     */
    @Test
    void residencyKinds() {
        ModelWeights w = model();
        Tensor head = w.get("head.weight");
        Tensor emb = w.get("emb.weight");
        Tensor gate = w.get("blocks.0.att.gate.weight");
        List<Footprint> fps = List.of(
                Footprint.loadOnly(head),
                Footprint.onDemand(emb, Double.NaN).plus(Footprint.allocated(Component.EMBEDDING, 1000)),
                Footprint.onDemand(gate, 0.5), Footprint.resident(gate));
        MemoryAccount a = MemoryAccount.of(w, ModelConfig.of(w), fps);
        MemoryAccount.Row h = a.components().get(Component.HEAD);
        assertEquals(16_384, h.stored());
        assertEquals(0, h.resident());
        assertEquals(0, h.onDemand());
        MemoryAccount.Row e = a.components().get(Component.EMBEDDING);
        assertEquals(16_896, e.stored());
        assertEquals(512 + 1000, e.resident());
        assertEquals(16_384, e.onDemand());
        assertTrue(Double.isNaN(e.touchedPerToken()));
        MemoryAccount.Row t = a.components().get(Component.TIME_MIX);
        assertEquals(43_008, t.resident());
        assertEquals(0, t.touchedPerToken());
        assertTrue(Double.isNaN(a.total().touchedPerToken()));
        assertEquals(143_872 - 16_384 - 16_384 + 1000, a.total().resident());
        assertFalse(a.toMap().isEmpty());
        assertEquals(null, ((java.util.Map<?, ?>) a.toMap().get("total")).get("touched_per_token_bytes"));
    }

    /** A vector decoded to float32 is resident at 4 bytes per element, whatever it is stored as. */
    @Test
    void decodedCopiesCountAtTheirHeapSize() {
        ModelWeights w = model();
        Tensor mixF16 = Tensor.ofFloats("blocks.0.att.time_mix_k", new float[64], 64);
        Tensor stored = new Tensor(mixF16.name(), DType.F16, new long[] {64}, MemorySegment.ofArray(new short[64]));
        ModelWeights half = w.toBuilder().put(stored).build();
        MemoryAccount a = MemoryAccount.of(half, ModelConfig.of(half), List.of(Footprint.decoded(stored)));
        MemoryAccount.Row t = a.components().get(Component.TIME_MIX);
        assertEquals(43_008 - 128, t.stored());
        assertEquals(43_008, t.resident());
    }

    /** Predictor tensors form their own component. */
    @Test
    void predictorsAreAComponent() {
        assertEquals(Component.PREDICTORS, Component.of("blocks.3.ffn.predictor.p1"));
        assertEquals(Component.PREDICTORS, Component.of("blocks.3.ffn.predictor.sign"));
        assertEquals(Component.CHANNEL_MIX, Component.of("blocks.3.ffn.sparse.key"));
        assertEquals(Component.TIME_MIX, Component.of("blocks.3.att.key.weight.scale"));
    }
}
