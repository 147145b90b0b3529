package dev.vmbench.fio;

import java.time.Duration;
import java.util.List;

/**
 * Where one permutation's wall time went: installing the job on every VM ({@code swap}: the install round less
 * the guests' layout time), laying the test file out (the longest guest's own time), the spread of fio's start
 * instants across VMs ({@code startSpread}, on this machine's clock: each guest's clock offset taken out), fio
 * from first start to last finish, collecting results, and the whole wall time; how many SSH sessions had to be
 * re-established meanwhile; and {@code overlapPct}, the share of the group's measured window (first VM's
 * measuring start to last VM's end) during which every VM was measuring.
 */
public record RunTimings(Duration swap, Duration prefill, Duration startSpread, Duration fio, Duration collect,
        Duration total, int reconnects, double overlapPct) {

    /** Timings of a run whose VMs measured together throughout (one VM, or nothing known of their windows). */
    public RunTimings(Duration swap, Duration prefill, Duration startSpread, Duration fio, Duration collect,
            Duration total, int reconnects) {
        this(swap, prefill, startSpread, fio, collect, total, reconnects, 100);
    }

    /**
     * The share of the union of measuring windows ({@code [start, end]} per VM, one clock) during which every VM
     * was measuring, in percent: 100 when they all ran the same span, 0 when some VM finished before another began.
     */
    public static double overlapPct(List<double[]> windows) {
        if (windows.size() < 2) {
            return 100;
        }
        double firstStart = windows.stream().mapToDouble(w -> w[0]).min().orElseThrow();
        double lastStart = windows.stream().mapToDouble(w -> w[0]).max().orElseThrow();
        double firstEnd = windows.stream().mapToDouble(w -> w[1]).min().orElseThrow();
        double lastEnd = windows.stream().mapToDouble(w -> w[1]).max().orElseThrow();
        double union = lastEnd - firstStart;
        return union <= 0 ? 100 : Math.max(0, firstEnd - lastStart) / union * 100;
    }

    /** Wall time the guests did not spend in fio (measuring or laying out): what orchestration costs. */
    public Duration overhead() {
        return total.minus(fio).minus(prefill);
    }
}
