package dev.rwkvedge.generate;

/** Why a generation ended. */
public enum StopReason {
    /** {@link dev.rwkvedge.sampling.SamplerOptions#maxTokens()} tokens were sampled. */
    MAX_TOKENS,
    /** One of {@link dev.rwkvedge.sampling.SamplerOptions#stop()} appeared in the text. */
    STOP_STRING,
    /** One of {@link dev.rwkvedge.sampling.SamplerOptions#stopTokens()} was sampled. */
    STOP_TOKEN
}
