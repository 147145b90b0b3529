package dev.vmbench.fio;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long the group took to become usable: per VM from create to guest ready (SSH answers and cloud-init
 * finished), and for the whole group. Clones are storage work too, so these can be gated like I/O
 * ({@code max-vm-ready}, {@code max-group-ready}).
 */
public record Provisioning(Map<String, Duration> vmReady, Duration groupReady) {

    /** Nothing known (a run built outside a provisioned group). */
    public static final Provisioning NONE = new Provisioning(Map.of(), Duration.ZERO);

    public Provisioning {
        vmReady = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(vmReady));
    }
}
