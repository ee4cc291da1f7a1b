package dev.rwkvedge.spi;

/** How sure a {@link WeightFormatProvider} is that a file is in its format: 0 (no) to 100 (magic matched). */
public record ProbeResult(int confidence, String reason) {
    public ProbeResult {
        if (confidence < 0 || confidence > 100) {
            throw new IllegalArgumentException("confidence must be 0..100, got " + confidence);
        }
    }

    public static ProbeResult no(String reason) {
        return new ProbeResult(0, reason);
    }

    public static ProbeResult certain(String reason) {
        return new ProbeResult(100, reason);
    }
}
