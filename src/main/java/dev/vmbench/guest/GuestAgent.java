package dev.vmbench.guest;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The harness side of the guest protocol: the verbs of {@code vmbench-guest} (installed by cloud-init)
 * over one VM's {@link Shell} (its SSH session, or a pod's exec). Every call has a deadline; a failing verb is a {@link GuestException}
 * carrying the guest's own message.
 */
public final class GuestAgent {

    private static final String SCRIPT = "vmbench-guest";
    private static final Duration QUICK = Duration.ofSeconds(60);

    private final Shell shell;

    public GuestAgent(Shell shell) {
        this.shell = shell;
    }

    public String vm() {
        return shell.vm();
    }

    /**
     * Installs the job and goes on to lay its test file out (in the background, under systemd; at once if an
     * earlier job already did); {@link #await} waits for it when the status says it is still running.
     */
    public GuestStatus installAndPrefill(String job) {
        try {
            CommandResult r = shell.exec(SCRIPT + " install-job --prefill", job, QUICK, false);
            ensureOk("install-job", r);
            return GuestStatus.parse(r.stdout());
        } catch (GuestShell.SessionLostException e) {
            // installing is repeatable; laying out is idempotent once the job is in place
            return installAndPrefillAfterDrop(job);
        }
    }

    private GuestStatus installAndPrefillAfterDrop(String job) {
        GuestStatus now = status();
        if (now.running() || now.prefilled()) {
            return now;
        }
        CommandResult r = shell.exec(SCRIPT + " install-job --prefill", job, QUICK, true);
        ensureOk("install-job", r);
        return GuestStatus.parse(r.stdout());
    }

    /**
     * How far the guest's clock is ahead of this machine's (negative: behind), as NTP estimates it: of several
     * probes, the one with the shortest round trip, read at its midpoint. What the guest's clock says, minus this,
     * is this machine's time.
     */
    public Duration clockOffset() {
        Duration best = Duration.ZERO;
        long shortest = Long.MAX_VALUE;
        for (int probe = 0; probe < 5; probe++) {
            Instant sent = Instant.now();
            CommandResult r = shell.exec("date +%s.%N", "", QUICK, true);
            Instant received = Instant.now();
            ensureOk("date", r);
            String[] guest = r.stdout().trim().split("\\.", 2);
            Instant guestNow;
            try {
                guestNow = Instant.ofEpochSecond(Long.parseLong(guest[0]), guest.length > 1
                        ? Long.parseLong((guest[1] + "000000000").substring(0, 9)) : 0);
            } catch (NumberFormatException e) {
                throw new GuestException("VM " + vm() + " answered 'date +%s.%N' with [" + r.stdout().trim() + "], not "
                        + "epoch seconds, so its clock cannot be compared. Fix: a guest with GNU date (coreutils).");
            }
            long roundTrip = Duration.between(sent, received).toNanos();
            if (roundTrip < shortest) {
                shortest = roundTrip;
                best = Duration.between(sent.plusNanos(roundTrip / 2), guestNow);
            }
        }
        return best;
    }

    /** Launches fio to begin at {@code at} (the guest sleeps until then, so VMs start together). */
    public GuestStatus start(Instant at) {
        return start(at, Duration.ZERO);
    }

    /** The same, for a guest whose clock is {@code clockOffset} ahead: it is told {@code at} in its own clock. */
    public GuestStatus start(Instant at, Duration clockOffset) {
        Instant guestAt = at.plus(clockOffset);
        String verb = "start --at " + String.format(Locale.ROOT, "%d.%03d", guestAt.getEpochSecond(),
                guestAt.getNano() / 1_000_000);
        try {
            return send(verb);
        } catch (GuestShell.SessionLostException e) {
            // Starting twice would be refused, so the guest is asked what happened. Still idle or prefilled means
            // the start never reached it: sent again while the shared instant is ahead, lost once it has passed.
            GuestStatus after = status();
            if (!after.state().equals("idle") && !after.state().equals("prefilled")) {
                return after;
            }
            if (Instant.now().plusMillis(200).isBefore(at)) {
                return send(verb);
            }
            throw new GuestException("vmbench-guest start on VM " + vm() + " was lost with the SSH session before "
                    + "it reached the guest (the guest is still " + after.state() + ", and the shared start instant "
                    + at + " has passed), so fio did not run there for this permutation: " + e.getMessage()
                    + ". Fix: see the SSH reconnects in the guest diagnostics; the next permutation starts afresh.");
        }
    }

    /** Sends a start once (not repeated after a drop: the guest would refuse a second one). */
    private GuestStatus send(String verb) {
        CommandResult r = shell.exec(SCRIPT + " " + verb, "", QUICK, false);
        ensureOk("start", r);
        return GuestStatus.parse(r.stdout());
    }

    /** Kills a running job; best effort, after a timeout. */
    public void stop() {
        try {
            shell.exec(SCRIPT + " stop", "", QUICK, true);
        } catch (GuestException e) {
            // the timeout being reported matters more than this
        }
    }

    /** Opens the connection to the guest again, through a new tunnel (after a live migration). */
    public void reconnect() {
        shell.reconnect();
    }

    public int reconnects() {
        return shell.reconnects();
    }

    /**
     * Blocks until fio exits (the guest holds the call open; nothing polls).
     *
     * @throws GuestTimeoutException if fio is still running after {@code timeout}
     */
    public GuestStatus await(Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        CommandResult r = shell.exec(SCRIPT + " wait --timeout " + seconds, "", timeout.plusSeconds(30), true);
        if (r.exitStatus() == 124) {
            throw new GuestTimeoutException("fio on VM " + vm() + " was still running after " + seconds
                    + "s ((runtime + ramp) × sections + file layout + margin). Fix: see the guest diagnostics "
                    + "(attached); if the storage is merely slow, raise -Dvmbench.fioTimeoutMargin.");
        }
        ensureOk("wait", r);
        return GuestStatus.parse(r.stdout());
    }

    /**
     * Blocks until cloud-init has finished in the guest ({@code cloud-init status --wait}), at most {@code timeout}:
     * sshd answers in cloud-init's network stage, long before its final stage installs fio and mounts the data disk.
     *
     * @return cloud-init's exit (0 done, 1 error, 2 done with recoverable errors, 124 still running) and its report
     */
    public CloudInit awaitCloudInit(Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        CommandResult r = shell.exec(SCRIPT + " ready --timeout " + seconds, "", timeout.plusSeconds(30), true);
        if (r.exitStatus() != 0 && r.exitStatus() != 1 && r.exitStatus() != 2 && r.exitStatus() != 124) {
            ensureOk("ready", r);
        }
        return new CloudInit(r.exitStatus(), (r.stdout() + r.stderr()).strip());
    }

    /** What {@code cloud-init status --wait --long} said: its exit code and report. */
    public record CloudInit(int exit, String report) {
        public boolean finished() {
            return exit == 0 || exit == 2;
        }
    }

    public GuestStatus status() {
        return GuestStatus.parse(call("status", "", QUICK).stdout());
    }

    public String result() {
        return call("result", "", QUICK).stdout();
    }

    /**
     * fio's interval logs of the finished job as the guest compressed them (gzip; {@code == FILE} lines before each
     * log), or nothing when the job wrote none.
     */
    public byte[] logs() {
        String text = call("logs", "", QUICK).stdout().strip();
        try {
            return java.util.Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new GuestException("vmbench-guest logs on VM " + vm() + " answered with something that is not "
                    + "base64 (" + e.getMessage() + "; it began [" + text.substring(0, Math.min(40, text.length()))
                    + "]). Fix: a guest with coreutils' base64 and gzip.");
        }
    }

    /** Writes {@code mib} MiB of random data to {@code name} on the data disk, synced; returns its sha256. */
    public String writeIntegrityFile(String name, int mib) {
        return call("integrity-write " + name + " " + mib, "", QUICK.plusSeconds(mib)).stdout().strip();
    }

    /** The sha256 of {@code name} on the data disk, or {@code missing}. */
    public String integrityChecksum(String name) {
        return call("integrity-check " + name, "", QUICK).stdout().strip();
    }

    /** The data disk's size in bytes as the guest sees it. */
    public long dataDiskBytes() {
        String out = call("disk-size", "", QUICK).stdout().strip();
        try {
            return Long.parseLong(out);
        } catch (NumberFormatException e) {
            throw new GuestException("vmbench-guest disk-size on VM " + vm() + " answered [" + out + "], not a number "
                    + "of bytes. Fix: a guest with coreutils' stat and util-linux's blockdev.");
        }
    }

    /** Starts timing the guest's small synchronous writes from outside it, for {@code length} ({@link IoProbe}). */
    public IoProbe probeIo(Duration length) {
        return IoProbe.start(shell, length);
    }

    public String sysinfo() {
        return call("sysinfo", "", QUICK).stdout();
    }

    /** The guest kernel's id of its current boot (sysinfo's {@code boot-id}): a restart changes it. */
    public String bootId() {
        return sysinfo().lines().filter(l -> l.startsWith("boot-id: ")).map(l -> l.substring(9).strip())
                .findFirst().orElse("unknown");
    }

    /** Best effort: what the guest can say about itself, or why it could not. */
    public String diagnose() {
        try {
            CommandResult r = shell.exec(SCRIPT + " diagnose", "", QUICK, true);
            return r.stdout() + r.stderr();
        } catch (GuestException e) {
            return "diagnose failed: " + e.getMessage();
        }
    }

    private CommandResult call(String verb, String stdin, Duration timeout) {
        CommandResult r = shell.exec(SCRIPT + " " + verb, stdin, timeout, true);
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
