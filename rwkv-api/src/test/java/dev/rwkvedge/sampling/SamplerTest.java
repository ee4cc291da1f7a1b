package dev.rwkvedge.sampling;

import dev.rwkvedge.RwkvException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected values are worked out by hand from ChatRWKV's PIPELINE formulas (see each test). */
class SamplerTest {
    /** Probabilities 0.05, 0.5, 0.1, 0.2, 0.15 as logits (softmax of ln p is p). */
    private static final float[] FIVE = logits(0.05, 0.5, 0.1, 0.2, 0.15);
    private static final double EPS = 1e-6;

    private static float[] logits(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            l[i] = (float) Math.log(p[i]);
        }
        return l;
    }

    private static SamplerOptions plain() {
        return SamplerOptions.defaults().withTopP(1.0);
    }

    private static int independentArgmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void topKOneAndTemperatureZeroAreArgmax() {
        Random r = new Random(7);
        Sampler topK1 = new Sampler(SamplerOptions.defaults().withTopK(1));
        Sampler temp0 = new Sampler(SamplerOptions.defaults().withTemperature(0));
        for (int trial = 0; trial < 300; trial++) {
            float[] l = new float[1 + r.nextInt(300)];
            for (int i = 0; i < l.length; i++) {
                l[i] = (float) (r.nextGaussian() * 3);
            }
            int expected = independentArgmax(l);
            assertEquals(expected, topK1.sample(l));
            assertEquals(expected, temp0.sample(l));
        }
        double[] oneHot = new Sampler(SamplerOptions.defaults().withTemperature(0)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 1, 0, 0, 0}, oneHot);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // Descending: 0.5 (id 1), 0.2 (id 3), 0.15 (id 4), 0.1, 0.05; cumulative 0.5, 0.7, 0.85 >= 0.8 -> ids 1, 3, 4.
        double[] p = new Sampler(plain().withTopP(0.8)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85}, p, EPS);
        // 0.6: cumulative 0.5, 0.7 -> ids 1, 3.
        p = new Sampler(plain().withTopP(0.6)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 0.5 / 0.7, 0, 0.2 / 0.7, 0}, p, EPS);
        // 0: only the most likely.
        p = new Sampler(plain().withTopP(0)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 1, 0, 0, 0}, p, EPS);
    }

    @Test
    void topPKeepsEveryTokenTiedWithTheCutoff() {
        // 0.4, 0.2, 0.2, 0.2 with top-p 0.5: cutoff is 0.2 and ChatRWKV zeroes only probs < cutoff -> all kept.
        double[] p = new Sampler(plain().withTopP(0.5)).probabilities(logits(0.4, 0.2, 0.2, 0.2));
        assertArrayEquals(new double[] {0.4, 0.2, 0.2, 0.2}, p, EPS);
    }

    @Test
    void topPDrawsFollowTheFilteredDistribution() {
        Sampler s = new Sampler(plain().withTopP(0.8).withSeed(123));
        int[] counts = new int[5];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(FIVE)]++;
        }
        assertEquals(0, counts[0]);
        assertEquals(0, counts[2]);
        // Binomial standard deviation is at most sqrt(0.25 / 40000) = 0.0025; allow 4 sigma.
        assertEquals(0.5 / 0.85, counts[1] / (double) n, 0.01);
        assertEquals(0.2 / 0.85, counts[3] / (double) n, 0.01);
        assertEquals(0.15 / 0.85, counts[4] / (double) n, 0.01);
    }

    @Test
    void topKKeepsTheKMostLikely() {
        double[] p = new Sampler(plain().withTopK(2)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 0.5 / 0.7, 0, 0.2 / 0.7, 0}, p, EPS);
        // Top-k 4 and top-p 0.6 together: the intersection, ids 1 and 3.
        p = new Sampler(plain().withTopK(4).withTopP(0.6)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 0.5 / 0.7, 0, 0.2 / 0.7, 0}, p, EPS);
    }

    @Test
    void temperatureRaisesKeptProbabilitiesToOneOverT() {
        // Top-p 0.8 keeps 0.5, 0.2, 0.15; T = 0.5 squares them: 0.25, 0.04, 0.0225, sum 0.3125.
        double[] p = new Sampler(plain().withTopP(0.8).withTemperature(0.5)).probabilities(FIVE);
        assertArrayEquals(new double[] {0, 0.8, 0, 0.128, 0.072}, p, EPS);
        // T = 2 on everything: sqrt(p) / sum(sqrt(p)).
        double[] raw = {0.05, 0.5, 0.1, 0.2, 0.15};
        double sum = Arrays.stream(raw).map(Math::sqrt).sum();
        p = new Sampler(plain().withTemperature(2)).probabilities(FIVE);
        for (int i = 0; i < raw.length; i++) {
            assertEquals(Math.sqrt(raw[i]) / sum, p[i], EPS);
        }
    }

    @Test
    void veryLowTemperatureDoesNotUnderflow() {
        double[] p = new Sampler(plain().withTemperature(0.001)).probabilities(FIVE);
        assertEquals(1.0, p[1], EPS);
    }

    @Test
    void largeVocabularyTopP() {
        // 65 536 tokens, id 100 at logit 20 and id 200 at 19, the rest 0 (each below 1e-8).
        // Top-p 0.9 keeps 100 and 200: e^20 : e^19 = 1 : 1/e.
        float[] l = new float[65536];
        l[100] = 20;
        l[200] = 19;
        double[] p = new Sampler(plain().withTopP(0.9)).probabilities(l);
        assertEquals(1 / (1 + Math.exp(-1)), p[100], EPS);
        assertEquals(Math.exp(-1) / (1 + Math.exp(-1)), p[200], EPS);
        assertEquals(2, Arrays.stream(p).filter(x -> x > 0).count());

        // One token at 0.95, 65 535 tied tokens sharing 0.05 (each ~7.6e-7). Top-p 0.99 reaches into the tied
        // ones, so the cutoff is their common value and every token is kept.
        float[] flat = new float[65536];
        flat[5] = (float) Math.log(0.95 * 65535 / 0.05);
        p = new Sampler(plain().withTopP(0.99)).probabilities(flat);
        assertEquals(0.95, p[5], 1e-5);
        assertEquals(65536, Arrays.stream(p).filter(x -> x > 0).count());
    }

    @Test
    void presenceAndFrequencyPenaltiesFollowTheChatRwkvFormula() {
        // presence 0.5, frequency 0.25, decay 0.5. Accept 2, 2, 3:
        //   after 2: occ2 = 1; after 2: occ2 = 1*0.5 + 1 = 1.5; after 3: occ2 = 0.75, occ3 = 1.
        //   logit2 = 1 - (0.5 + 0.75*0.25) = 0.3125; logit3 = 1 - (0.5 + 1*0.25) = 0.25.
        Sampler s = new Sampler(plain().withPresencePenalty(0.5).withFrequencyPenalty(0.25).withPenaltyDecay(0.5));
        s.accept(2);
        s.accept(2);
        s.accept(3);
        assertEquals(0.75, s.occurrence(2));
        assertEquals(1.0, s.occurrence(3));
        float[] in = {1, 1, 1, 1, 1};
        assertArrayEquals(new float[] {1, 1, 0.3125f, 0.25f, 1}, s.penalized(in));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, in, "input logits are not modified");
    }

    @Test
    void defaultPenaltyDecayIsChatRwkvs0996() {
        // frequency 1: accept 7 twice -> occ = 1*0.996 + 1 = 1.996; after accepting 1, occ7 = 1.996*0.996.
        Sampler s = new Sampler(plain().withFrequencyPenalty(1));
        assertEquals(0.996, s.options().penaltyDecay());
        s.accept(7);
        s.accept(7);
        assertEquals(-1.996f, s.penalized(new float[8])[7], 1e-6);
        s.accept(1);
        float[] pen = s.penalized(new float[8]);
        assertEquals(-1.988016f, pen[7], 1e-6);
        assertEquals(-1f, pen[1], 1e-6);
    }

    @Test
    void presencePenaltyStaysAfterTheCountDecaysToZero() {
        // ChatRWKV keeps a token in its occurrence dict once generated, so presence applies forever.
        Sampler s = new Sampler(plain().withPresencePenalty(2).withFrequencyPenalty(1).withPenaltyDecay(0));
        s.accept(1);
        s.accept(2);
        assertArrayEquals(new float[] {0, -2, -3}, s.penalized(new float[3]));
        s.reset();
        assertArrayEquals(new float[] {0, 0, 0}, s.penalized(new float[3]));
    }

    @Test
    void bannedTokensAreNeverSampled() {
        float[] l = {10, 0, 0, 9};
        Sampler s = new Sampler(plain().withBannedTokens(Set.of(0)).withSeed(5));
        for (int i = 0; i < 5000; i++) {
            assertNotEquals(0, s.next(l));
        }
        assertEquals(3, new Sampler(plain().withTemperature(0).withBannedTokens(Set.of(0))).sample(l));
        assertEquals(0, new Sampler(plain().withBannedTokens(Set.of(0))).probabilities(l)[0]);
        RwkvException e = assertThrows(RwkvException.class,
                () -> new Sampler(plain().withBannedTokens(Set.of(0, 1, 2, 3))).sample(l));
        assertTrue(e.getMessage().contains("banned"), e.getMessage());
        assertThrows(RwkvException.class, () -> new Sampler(plain().withBannedTokens(Set.of(9))).sample(l));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        float[] uniform = new float[50];
        int[] a = draw(new Sampler(plain().withSeed(1)), uniform);
        int[] b = draw(new Sampler(plain().withSeed(1)), uniform);
        int[] c = draw(new Sampler(plain().withSeed(2)), uniform);
        assertArrayEquals(a, b);
        // Equal by chance with probability 50^-100.
        assertFalse(Arrays.equals(a, c));
        Sampler again = new Sampler(plain().withSeed(1));
        draw(again, uniform);
        again.reset();
        assertArrayEquals(a, draw(again, uniform));
    }

    private static int[] draw(Sampler s, float[] l) {
        int[] out = new int[100];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(l);
        }
        return out;
    }

    @Test
    void nanLogitsAreReported() {
        RwkvException e = assertThrows(RwkvException.class,
                () -> new Sampler(plain()).sample(new float[] {0, Float.NaN}));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withTemperature(-1));
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withTopP(1.5));
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withTopK(-2));
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withPenaltyDecay(1.1));
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withStop(List.of("")));
        assertThrows(RwkvException.class, () -> SamplerOptions.defaults().withMaxTokens(-1));
        SamplerOptions d = SamplerOptions.defaults();
        assertEquals(1.0, d.temperature());
        assertEquals(0.85, d.topP());
        assertEquals(0, d.topK());
    }
}
