package dev.rwkvedge.registry;

import dev.rwkvedge.spi.CompressorProvider;

/** The registry of {@link CompressorProvider}s (plugins found on the classpath or in a plugin folder). */
public final class Compressors {
    private static final NamedRegistry<CompressorProvider> REGISTRY =
            new NamedRegistry<>(CompressorProvider.class, "compressor", Compressors.class.getClassLoader());

    private Compressors() {
    }

    public static NamedRegistry<CompressorProvider> registry() {
        return REGISTRY;
    }
}
