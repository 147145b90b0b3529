package dev.vmbench.fio;

/** fio's output could not be read as a result: a broken run, not a storage verdict. */
public final class FioOutputException extends RuntimeException {
    public FioOutputException(String message) {
        super(message);
    }
}
