package dev.vmbench.guest;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The harness side of the guest protocol: the verbs of {@code vmbench-guest} (installed by cloud-init)
 * over one VM's {@link GuestShell}. Every call has a deadline; a failing verb is a {@link GuestException}
 * carrying the guest's own message.
 */
public final class GuestAgent {

    private static final String SCRIPT = "vmbench-guest";
    private static final Duration QUICK = Duration.ofSeconds(60);

    private final GuestShell shell;

    public GuestAgent(GuestShell shell) {
        this.shell = shell;
    }

    public String vm() {
        return shell.vm();
    }

    public void installJob(String job) {
        call("install-job", job, QUICK);
    }

    /** Launches fio to begin at {@code at} (the guest sleeps until then, so VMs start together). */
    public GuestStatus start(Instant at) {
        String epoch = String.format(Locale.ROOT, "%d.%03d", at.getEpochSecond(), at.getNano() / 1_000_000);
        return GuestStatus.parse(call("start --at " + epoch, "", QUICK).stdout());
    }

    /**
     * Blocks until fio exits (the guest holds the call open; nothing polls).
     *
     * @throws GuestTimeoutException if fio is still running after {@code timeout}
     */
    public GuestStatus await(Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        CommandResult r = shell.exec(SCRIPT + " wait --timeout " + seconds, "", timeout.plusSeconds(30));
        if (r.exitStatus() == 124) {
            throw new GuestTimeoutException("fio on VM " + vm() + " was still running after " + seconds
                    + "s (runtime × sections + ramp + margin). Fix: check the guest with 'vmbench-guest "
                    + "diagnose' (attached), or raise the runtime budget if the storage is merely slow.");
        }
        ensureOk("wait", r);
        return GuestStatus.parse(r.stdout());
    }

    public GuestStatus status() {
        return GuestStatus.parse(call("status", "", QUICK).stdout());
    }

    public String result() {
        return call("result", "", QUICK).stdout();
    }

    public String sysinfo() {
        return call("sysinfo", "", QUICK).stdout();
    }

    /** Best effort: what the guest can say about itself, or why it could not. */
    public String diagnose() {
        try {
            CommandResult r = shell.exec(SCRIPT + " diagnose", "", QUICK);
            return r.stdout() + r.stderr();
        } catch (GuestException e) {
            return "diagnose failed: " + e.getMessage();
        }
    }

    private CommandResult call(String verb, String stdin, Duration timeout) {
        CommandResult r = shell.exec(SCRIPT + " " + verb, stdin, timeout);
        ensureOk(verb, r);
        return r;
    }

    private void ensureOk(String verb, CommandResult r) {
        if (!r.ok()) {
            throw new GuestException("vmbench-guest " + verb.split(" ")[0] + " failed on VM " + vm() + " (exit "
                    + r.exitStatus() + "): " + r.stderr().trim());
        }
    }
}
