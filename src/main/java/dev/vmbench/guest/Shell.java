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

    /**
     * Runs {@code command} and hands each line of its stdout to {@code line} the moment it arrives (lines past 1 KiB
     * are cut there), until it exits or {@code timeout} passes. A dropped connection ends it early: it is re-opened for
     * the next command and the call returns {@code -1}.
     *
     * @return the command's exit status, or -1 when the connection dropped
     * @throws GuestException if it cannot be run
     */
    int stream(String command, Duration timeout, java.util.function.Consumer<String> line);

    /** Re-establishes the connection now (a pod's exec has none to keep: nothing to do). */
    default void reconnect() {
    }

    /** How many times the connection was re-established. */
    int reconnects();

    @Override
    void close();
}
