package dev.vmbench.guest;

/** A guest command or fio itself ran past its deadline: reported as a timeout, not as a fio error. */
public final class GuestTimeoutException extends GuestException {
    public GuestTimeoutException(String message) {
        super(message);
    }
}
