package dev.rwkvedge.runtime.vector;

import jdk.incubator.vector.FloatVector;

/**
 * Asks the Vector API for the preferred shape. A class of its own, without other static state, so that the probe can
 * run on any machine; {@link VectorShapes} derives species that only exist from 256 bits on.
 */
final class VectorProbe {
    private VectorProbe() {
    }

    /** Bits of the preferred float shape; called reflectively by the provider's probe. */
    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }
}
