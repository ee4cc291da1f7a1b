package dev.rwkvedge.pipeline;

/** One problem in a pipeline descriptor, at a 1-based line and column. */
public record Problem(int line, int column, String message) implements Comparable<Problem> {
    @Override
    public int compareTo(Problem o) {
        return line != o.line ? Integer.compare(line, o.line) : Integer.compare(column, o.column);
    }

    @Override
    public String toString() {
        return line + ":" + column + ": " + message;
    }
}
