package dev.rwkvedge.spi;

/** Whether a provider can run here, and why (shown when it is rejected or when {@code auto} picks another). */
public record Availability(boolean supported, String reason) {
    public static Availability yes(String reason) {
        return new Availability(true, reason);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }
}
