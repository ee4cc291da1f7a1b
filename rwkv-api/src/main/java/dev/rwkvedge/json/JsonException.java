package dev.rwkvedge.json;

/** Malformed JSON, with the character offset of the problem. */
public class JsonException extends IllegalArgumentException {
    private final int offset;

    public JsonException(String message, int offset) {
        super(message + " (at character " + offset + ")");
        this.offset = offset;
    }

    public int offset() {
        return offset;
    }
}
