package dev.vmbench.fio;

import java.time.Duration;

/**
 * Where one permutation's wall time went: installing the job on every VM ({@code swap}: the install round less
 * the guests' layout time), laying the test file out (the longest guest's own time), the spread of fio's start instants across VMs, fio from first start to
 * last finish (guest clocks), collecting results, and the whole wall time; plus how many SSH sessions had to be
 * re-established meanwhile.
 */
public record RunTimings(Duration swap, Duration prefill, Duration startSkew, Duration fio, Duration collect,
        Duration total, int reconnects) {

    /** Wall time the guests did not spend in fio (measuring or laying out): what orchestration costs. */
    public Duration overhead() {
        return total.minus(fio).minus(prefill);
    }
}
