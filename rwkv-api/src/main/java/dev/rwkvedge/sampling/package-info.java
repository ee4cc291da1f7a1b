/**
 * Choosing the next token from a model's logits with ChatRWKV's sampling semantics (rwkv/utils.py
 * {@code PIPELINE.sample_logits} and the penalties of {@code PIPELINE.generate}): {@link
 * dev.rwkvedge.sampling.SamplerOptions} holds the settings, {@link dev.rwkvedge.sampling.Sampler} applies them.
 */
package dev.rwkvedge.sampling;
