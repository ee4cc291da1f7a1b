package dev.rwkvedge;

/**
 * A problem with what the user gave rwkv-edge (a file, a name, a parameter), with a message that says what is
 * wrong and, where it can, how to fix it. The CLI prints the message on one line and exits with code 2.
 */
public class RwkvException extends RuntimeException {
    public RwkvException(String message) {
        super(message);
    }

    public RwkvException(String message, Throwable cause) {
        super(message, cause);
    }
}
