package dev.vmbench.guest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * I/O as an application outside the guest sees it: the guest's {@code io-probe} writes 4 KiB to the data disk (direct,
 * synced) again and again and prints a line after each, and this times every line on this machine's monotonic clock.
 * That clock goes on while the guest is paused (a live migration's switch-over stops the guest's own clocks with it),
 * so the longest gap between two completions over one connection is the stall as the outside saw it; while a dropped
 * connection is re-opened nothing can be seen, and that time is reported apart. Runs on a thread of its own for a
 * fixed time; {@link #close()} waits for it.
 */
public final class IoProbe implements AutoCloseable {

    /** Each probe run's completion times: a run ends with its connection, and the next one starts on a new one. */
    private final List<List<Long>> runs = new ArrayList<>();
    private final Thread thread;
    private volatile RuntimeException failure;

    private IoProbe(Shell shell, Duration length) {
        long end = System.nanoTime() + length.toNanos();
        thread = new Thread(() -> {
            try {
                // a dropped connection ends one probe; the next one runs on the re-opened session, until the end
                for (long left = end - System.nanoTime(); left >= 1_000_000_000L; left = end - System.nanoTime()) {
                    long seconds = left / 1_000_000_000L;
                    List<Long> run = new ArrayList<>();
                    synchronized (runs) {
                        runs.add(run);
                    }
                    int status = shell.stream("vmbench-guest io-probe " + seconds, Duration.ofSeconds(seconds + 30),
                            line -> {
                                long now = System.nanoTime();
                                synchronized (runs) {
                                    run.add(now);
                                }
                            });
                    if (status > 0) {
                        throw new GuestException("'vmbench-guest io-probe' exited with status " + status
                                + ". Fix: see 'vmbench-guest diagnose' on the VM");
                    }
                }
            } catch (RuntimeException e) {
                failure = e;
            }
        }, "io-probe-" + shell.vm());
        thread.setDaemon(true);
    }

    /** Starts probing the guest behind {@code shell} for {@code length}. */
    public static IoProbe start(Shell shell, Duration length) {
        IoProbe probe = new IoProbe(shell, length);
        probe.thread.start();
        return probe;
    }

    /**
     * The longest time, in ms, between two completions seen over one connection, of the gaps that touch
     * {@code [fromNanos, toNanos]} ({@link System#nanoTime()} values): the guest completed no write while the outside
     * was watching it.
     */
    public long longestStallMs(long fromNanos, long toNanos) {
        long longest = 0;
        for (List<Long> run : snapshot()) {
            for (int i = 1; i < run.size(); i++) {
                if (run.get(i) >= fromNanos && run.get(i - 1) <= toNanos) {
                    longest = Math.max(longest, run.get(i) - run.get(i - 1));
                }
            }
        }
        return Math.round(longest / 1e6);
    }

    /**
     * The longest time, in ms, the outside could not watch the guest because its connection dropped: from the last
     * completion over one connection to the first over the next, of those that touch {@code [fromNanos, toNanos]}.
     * What the guest did meanwhile is not known, so it is kept apart from {@link #longestStallMs}.
     */
    public long longestUnseenMs(long fromNanos, long toNanos) {
        long longest = 0;
        Long last = null;
        for (List<Long> run : snapshot()) {
            if (run.isEmpty()) {
                continue;
            }
            if (last != null && run.get(0) >= fromNanos && last <= toNanos) {
                longest = Math.max(longest, run.get(0) - last);
            }
            last = run.get(run.size() - 1);
        }
        return Math.round(longest / 1e6);
    }

    /** How many completions the outside saw. */
    public int completions() {
        return snapshot().stream().mapToInt(List::size).sum();
    }

    private List<List<Long>> snapshot() {
        synchronized (runs) {
            return runs.stream().map(r -> (List<Long>) new ArrayList<>(r)).toList();
        }
    }

    /** Waits for the probe to end (its length, plus a dropped connection's re-opening). */
    @Override
    public void close() {
        try {
            thread.join(Duration.ofMinutes(3).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw new GuestException("The I/O probe of VM " + thread.getName().substring("io-probe-".length())
                    + " failed: " + failure.getMessage(), failure);
        }
    }
}
