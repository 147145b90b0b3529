package dev.vmbench.fio;

import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;

/**
 * Receives results the moment they are collected, so nothing is lost if a later step fails: each VM's
 * raw output before it is parsed, then the whole run.
 */
public interface FioRunListener {

    void onRawOutput(VmGroupSpec group, FioPermutation permutation, String vm, String raw);

    void onRun(FioRun run);
}
