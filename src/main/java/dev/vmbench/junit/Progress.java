package dev.vmbench.junit;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a person watching the console sees between "group provisioned" and "group deleted": one line per finished
 * test (position and total, verdict, group and permutation, headline numbers, elapsed time and an estimate of what
 * is left, from the plan's fio time scaled by how long the run has really taken so far), and while a test runs, a
 * heartbeat every {@link #HEARTBEAT}.
 */
final class Progress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    static final Duration HEARTBEAT = Duration.ofSeconds(30);

    private final int total;
    private final Duration plannedFio;
    private final Duration heartbeatEvery;
    private final java.util.function.Consumer<String> out;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vmbench-progress");
        t.setDaemon(true);
        return t;
    });
    private int done;
    private Duration fioDone = Duration.ZERO;
    private ScheduledFuture<?> heartbeat;
    /** Since when the running test's fio time counts: its start, or the end of its group's provisioning. */
    private volatile long measuringSince = System.nanoTime();
    /** The group being provisioned for the running test, and since when; null once it is ready. */
    private volatile String provisioning;
    private volatile long provisioningSince;

    /**
     * @param total      the tests this session will run
     * @param plannedFio their fio time, by the plan
     */
    Progress(int total, Duration plannedFio) {
        this(total, plannedFio, HEARTBEAT, LOG::info);
    }

    /** The same, with its own heartbeat interval and a sink for its lines (tests). */
    Progress(int total, Duration plannedFio, Duration heartbeatEvery, java.util.function.Consumer<String> out) {
        this.total = total;
        this.plannedFio = plannedFio;
        this.heartbeatEvery = heartbeatEvery;
        this.out = out;
    }

    /**
     * A test begins: its heartbeat says how far into its fio budget it is, or, while its group is still being
     * provisioned, for how long that has been going on.
     */
    synchronized void started(String test, Duration expectedFio) {
        stopHeartbeat();
        measuringSince = System.nanoTime();
        int position = done + 1;
        heartbeat = ticker.scheduleAtFixedRate(() -> {
            String group = provisioning;
            out.accept("[" + position + "/" + total + "] " + (group != null
                    ? "provisioning " + group + " for " + test + ": " + clock(Duration.ofNanos(System.nanoTime()
                            - provisioningSince)) + " so far (clone, boot, cloud-init)"
                    : "still running " + test + ": " + clock(Duration.ofNanos(System.nanoTime() - measuringSince))
                            + " of about " + clock(expectedFio) + " of fio"));
        }, heartbeatEvery.toMillis(), heartbeatEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The running test's group is being provisioned: that is not fio time. */
    void provisioning(String group) {
        provisioningSince = System.nanoTime();
        provisioning = group;
    }

    /** The group is ready (or failed): fio time counts from now. */
    void provisioned() {
        measuringSince = System.nanoTime();
        provisioning = null;
    }

    /** A test ended with {@code outcome}; {@code headline} is its numbers, or why it did not pass. */
    synchronized void finished(String test, String outcome, String headline, Duration expectedFio) {
        stopHeartbeat();
        done++;
        fioDone = fioDone.plus(expectedFio);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        Duration leftFio = plannedFio.minus(fioDone);
        // what is left of the plan's fio time, at the pace the run has kept so far (provisioning included)
        double pace = fioDone.isZero() ? 1 : (double) elapsed.toMillis() / Math.max(1, fioDone.toMillis());
        Duration left = leftFio.isNegative() || done >= total ? Duration.ZERO
                : Duration.ofMillis((long) (leftFio.toMillis() * pace));
        out.accept("[" + done + "/" + total + "] " + outcome + " " + test + " — " + headline + " — " + clock(elapsed)
                + " elapsed, about " + clock(left) + " left");
    }

    private void stopHeartbeat() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
    }

    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
