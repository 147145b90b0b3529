package dev.vmbench.cluster;

/** A VM group could not be created or did not become ready: the cluster or harness broke, not the storage. */
public class ProvisioningException extends RuntimeException {
    public ProvisioningException(String message) {
        super(message);
    }

    public ProvisioningException(String message, Throwable cause) {
        super(message, cause);
    }
}
