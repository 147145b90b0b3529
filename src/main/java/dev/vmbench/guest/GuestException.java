package dev.vmbench.guest;

/** The harness could not talk to a guest, or the guest could not do what it was asked: a broken test. */
public class GuestException extends RuntimeException {
    public GuestException(String message) {
        super(message);
    }

    public GuestException(String message, Throwable cause) {
        super(message, cause);
    }
}
