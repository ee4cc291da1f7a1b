/**
 * Text generation: {@link dev.rwkvedge.generate.Generator} feeds a prompt to a model, samples tokens with a
 * {@link dev.rwkvedge.sampling.Sampler} and streams the decoded text, stopping at stop strings, stop tokens or a
 * token budget, in the manner of ChatRWKV's {@code PIPELINE.generate} (rwkv/utils.py).
 */
package dev.rwkvedge.generate;
