package dev.vmbench.guest;

import java.time.Duration;

/**
 * Where {@link GuestAgent} runs its verbs: a command line, its stdin and a deadline in, exit status and output
 * out. A VM's is an SSH session ({@link GuestShell}); a pod's, the Kubernetes exec subresource ({@link PodExec}).
 */
public interface Shell extends AutoCloseable {

    /** The VM or pod the commands run in. */
    String vm();

    /**
     * Runs {@code command} with {@code stdin}; {@code idempotent} commands may be repeated after a dropped
     * connection.
     *
     * @throws GuestException if it cannot be run or does not finish within {@code timeout}
     */
    CommandResult exec(String command, String stdin, Duration timeout, boolean idempotent);

    /** How many times the connection was re-established. */
    int reconnects();

    @Override
    void close();
}
