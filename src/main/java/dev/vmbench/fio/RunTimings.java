package dev.vmbench.fio;

import java.time.Duration;

/**
 * Where one permutation's wall time went: installing the job on every VM, the spread of fio's actual start
 * instants across VMs, the longest fio run, collecting results, and the whole.
 */
public record RunTimings(Duration swap, Duration startSkew, Duration fio, Duration collect, Duration total) {

    /** Wall time not spent in fio: what the harness costs per permutation. */
    public Duration overhead() {
        return total.minus(fio);
    }
}
