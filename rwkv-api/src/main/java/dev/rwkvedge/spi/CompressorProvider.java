package dev.rwkvedge.spi;

/** Factory of a {@link Compressor}, found by name (the step name in a pipeline YAML). */
public interface CompressorProvider extends NamedProvider {
    /**
     * Builds a compressor from its step parameters. Implementations take every key they understand from
     * {@code params} and finish with {@link Params#requireAllConsumed()}, so a misspelt key is an error.
     */
    Compressor create(Params params);
}
