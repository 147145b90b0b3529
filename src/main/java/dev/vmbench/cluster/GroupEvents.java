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

    /** Something failed: name → text of every piece of evidence collected. */
    void onDiagnostics(VmGroupSpec group, Map<String, String> evidence);
}
