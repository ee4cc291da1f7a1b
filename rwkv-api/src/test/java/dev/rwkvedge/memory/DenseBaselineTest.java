package dev.rwkvedge.memory;

import dev.rwkvedge.model.DenseShape;
import dev.rwkvedge.model.RwkvVersion;
import dev.rwkvedge.synth.SynthSpec;
import dev.rwkvedge.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The dense baseline's parameter count against hand-computed counts (the real fixtures are checked in
 * integration-tests, which can read them).
 */
class DenseBaselineTest {
    private static DenseBaseline of(RwkvVersion v, int layers, int embd, int vocab, int ffn) {
        return DenseBaseline.of(new SynthSpec(v, layers, embd, vocab, ffn, 64, DType.F16, 1).denseShape());
    }

    /**
     * 169M-class v5.2 World (12 × 768, V 65536, F = ⌊3.5·768/32⌋·32 = 2688). Per layer: 5 projections 5·768² =
     * 2,949,120; 12 vectors of 768 (ln1, ln2 weight+bias, time_mix k/v/r/g, decay, faaaa, ln_x weight+bias) = 9,216;
     * FFN key + value 2·2688·768 = 4,128,768, receptance 589,824, time_mix k/r 1,536: 7,678,464, × 12 = 92,141,568.
     * Embedding and head 2·65536·768 = 100,663,296; ln0 and ln_out 4·768 = 3,072. Total 192,807,936 (PERF notes:
     * 192.8 M).
     */
    @Test
    void world169mV52() {
        DenseBaseline b = of(RwkvVersion.V5_2, 12, 768, 65536, 0);
        assertEquals(192_807_936L, b.parameters());
        assertEquals(2 * 192_807_936L, b.fp16Bytes());
        assertEquals(4 * 192_807_936L, b.fp32Bytes());
    }

    /**
     * 430M-class v5.2 (24 × 1024, F 3584): per layer 5·1024² + 12·1024 + 2·3584·1024 + 1024² + 2·1024 = 13,645,824,
     * × 24 = 327,499,776; embedding and head 2·65536·1024 = 134,217,728; ln0 and ln_out 4,096. Total 461,721,600
     * (PERF notes: 461.7 M; PAPER.md §6: "462 M (923 MB)").
     */
    @Test
    void world430mV52() {
        assertEquals(461_721_600L, of(RwkvVersion.V5_2, 24, 1024, 65536, 0).parameters());
    }

    /**
     * v4, 1 layer × 32, V 64, F 128: embedding 2,048 + ln0 64 + ln1/ln2 128 + time_mix k/v/r 96 + decay/first 64 +
     * 4 projections 4,096 + ffn time_mix 64 + key 4,096 + value 4,096 + receptance 1,024 + ln_out 64 + head 2,048.
     */
    @Test
    void smallV4ByHand() {
        assertEquals(17_888L, of(RwkvVersion.V4, 1, 32, 64, 128).parameters());
    }

    /** v6 LoRA widths enter the count: 32 → 64 for the token-shift LoRA adds 5·32·C·2 per layer. */
    @Test
    void loraWidthsCount() {
        SynthSpec s = new SynthSpec(RwkvVersion.V6, 2, 64, 256, 0, 8, DType.F16, 1);
        DenseShape base = s.denseShape();
        DenseShape wider = new DenseShape(base.version(), base.layers(), base.embd(), base.vocab(), base.ffn(),
                base.headSize(), new DenseShape.Lora(64, base.lora().decay(), 0, 0, 0, 0));
        assertEquals(2L * 2 * 5 * 32 * 64, DenseBaseline.of(wider).parameters() - DenseBaseline.of(base).parameters());
    }
}
