package dev.vmbench.fio;

import java.time.Duration;

/**
 * Where one permutation's wall time went: installing the job on every VM, laying the test file out, the spread
 * of fio's actual start instants across VMs, fio from first start to last finish, collecting results, and the
 * whole; plus how many SSH sessions had to be re-established meanwhile.
 */
public record RunTimings(Duration swap, Duration prefill, Duration startSkew, Duration fio, Duration collect,
        Duration total, int reconnects) {

    /** Wall time spent neither in fio nor laying its file out: what the harness costs per permutation. */
    public Duration overhead() {
        return total.minus(fio).minus(prefill);
    }
}
