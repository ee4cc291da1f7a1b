package dev.rwkvedge.pipeline;

import dev.rwkvedge.RwkvException;

import java.util.List;

/** A pipeline descriptor with problems; the message lists all of them as {@code file:line:col: message}. */
public class PipelineException extends RwkvException {
    private final transient List<Problem> problems;

    public PipelineException(String source, List<Problem> problems) {
        super(format(source, problems));
        this.problems = List.copyOf(problems);
    }

    private static String format(String source, List<Problem> problems) {
        StringBuilder sb = new StringBuilder();
        sb.append(source).append(": ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        problems.stream().sorted().forEach(p -> sb.append("\n  ").append(source).append(':').append(p));
        return sb.toString();
    }

    public List<Problem> problems() {
        return problems;
    }
}
