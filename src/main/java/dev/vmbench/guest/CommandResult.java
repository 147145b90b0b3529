package dev.vmbench.guest;

/** What one command printed and how it exited. */
public record CommandResult(int exitStatus, String stdout, String stderr) {
    public boolean ok() {
        return exitStatus == 0;
    }
}
