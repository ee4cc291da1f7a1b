package dev.rwkvedge.pipeline;

import dev.rwkvedge.eval.EvalResult;
import dev.rwkvedge.memory.MemoryAccount;
import dev.rwkvedge.model.Component;
import dev.rwkvedge.model.ModelConfig;
import dev.rwkvedge.spi.CompressionReport;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a pipeline run produced: the output file, sizes before and after by component, the memory account of the
 * original model and of the written one as the runtime binds them, each step's report and duration, and evaluations
 * before and after (null without {@code eval:}).
 */
public record PipelineResult(Path descriptor, Path output, String outputFormat, ModelConfig config, String modelName,
                             Map<Component, Long> bytesBefore, Map<Component, Long> bytesAfter,
                             MemoryAccount memoryBefore, MemoryAccount memoryAfter,
                             List<StepOutcome> steps, EvalResult evalBefore, EvalResult evalAfter,
                             boolean byteLevel, long millis) {

    /** One step's report and wall time. */
    public record StepOutcome(String name, CompressionReport report, long millis) {
    }

    public long totalBefore() {
        return bytesBefore.values().stream().mapToLong(Long::longValue).sum();
    }

    public long totalAfter() {
        return bytesAfter.values().stream().mapToLong(Long::longValue).sum();
    }
}
