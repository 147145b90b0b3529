package dev.vmbench.cluster;

import dev.vmbench.matrix.VmGroupSpec;
import java.util.Locale;

/**
 * Names of a group's resources: DNS-1123 labels of at most 63 characters, readable, and unique per run
 * and group (the group hash keeps truncated names apart). Example: {@code vmb-0923a1-small-x2-3f9a1c-1}
 * with {@code -root}, {@code -data} and {@code -cloudinit} for its disks and Secret.
 */
public record ResourceNames(String vm) {

    private static final int MAX = 63;
    private static final int LONGEST_SUFFIX = "-cloudinit".length();

    public static ResourceNames of(String runId, VmGroupSpec spec, int index) {
        String run = runId.replaceAll("[^a-z0-9]", "");
        run = run.substring(Math.max(0, run.length() - 6));
        String size = spec.vmSize().name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "");
        String tail = "-x" + spec.concurrency() + "-" + spec.hash() + "-" + index;
        String head = "vmb-" + run + "-" + size;
        int room = MAX - LONGEST_SUFFIX - tail.length();
        if (head.length() > room) {
            head = head.substring(0, room);
        }
        return new ResourceNames(head + tail);
    }

    public String rootDisk() {
        return vm + "-root";
    }

    public String dataDisk() {
        return vm + "-data";
    }

    public String cloudInitSecret() {
        return vm + "-cloudinit";
    }

    /** The data disk's serial inside the guest: {@code /dev/disk/by-id/virtio-<serial>}. ≤ 20 chars. */
    public String dataDiskSerial() {
        return "vmbench-data";
    }
}
