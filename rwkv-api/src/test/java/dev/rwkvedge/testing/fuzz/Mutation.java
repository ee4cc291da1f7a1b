package dev.rwkvedge.testing.fuzz;

import java.util.SplittableRandom;

/** One way of corrupting a seed file; returns a new array and never modifies its input. */
public interface Mutation {
    /** A short name for failure reports, e.g. {@code bit-flips}. */
    String name();

    byte[] apply(byte[] input, FuzzLayout layout, SplittableRandom random);
}
