package dev.vmbench.fio;

import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;

/**
 * Receives results the moment they are collected, so nothing is lost if a later step fails: each VM's
 * raw output before it is parsed (and its interval logs), then the whole run.
 */
public interface FioRunListener {

    void onRawOutput(VmGroupSpec group, FioPermutation permutation, String vm, String raw);

    /** One VM's interval logs of a permutation, gzip-compressed, the moment they arrive. */
    default void onLogs(VmGroupSpec group, FioPermutation permutation, String vm, byte[] gzip) {
    }

    void onRun(FioRun run);
}
