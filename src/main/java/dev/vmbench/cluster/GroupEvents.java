package dev.vmbench.cluster;

import dev.vmbench.fio.FioRunListener;
import dev.vmbench.matrix.VmGroupSpec;
import java.util.Map;

/**
 * What a group reports as it goes, for the results folder and the report. Nothing passed here holds
 * secret data: the cloud-init Secret arrives with its data redacted.
 */
public interface GroupEvents extends FioRunListener {

    /** A manifest about to be applied, as YAML. */
    void onManifest(VmGroupSpec group, String name, String yaml);

    /** The group is ready: per VM, what {@code vmbench-guest sysinfo} said, and how long provisioning took. */
    void onProvisioned(VmGroupSpec group, Map<String, String> sysinfo, Map<String, Long> phaseMillis);

    /** The group is ready: per VM, its serial console so far (the boot, cloud-init's lines among them). */
    default void onConsoles(VmGroupSpec group, Map<String, String> consoles) {
    }

    /** Something failed: name → text of every piece of evidence collected. */
    void onDiagnostics(VmGroupSpec group, Map<String, String> evidence);

    /** The group's resources were kept (cleanup mode); {@code command} deletes them. */
    void onKept(VmGroupSpec group, String command);

    /** The fio job file a permutation runs, as installed on every VM. */
    void onJob(VmGroupSpec group, dev.vmbench.matrix.FioPermutation permutation, String job);

    /** Runs one named phase of a permutation (install, prefill, run, collect); a report may show it as a step. */
    default <T> T phase(String name, java.util.function.Supplier<T> work) {
        return work.get();
    }
}
