package dev.vmbench.cluster;

import java.util.List;

/**
 * What a StorageClass offers VMs, as read beside its capability checks: its provisioner and binding mode, whether it
 * allows expansion, the VolumeSnapshotClass for its driver (empty: none), and the data disk's volume and access modes.
 */
public record StorageFacts(String storageClass, String provisioner, String bindingMode, boolean allowsExpansion,
        String snapshotClass, String volumeMode, List<String> accessModes) {

    public StorageFacts {
        accessModes = List.copyOf(accessModes);
    }

    public boolean readWriteMany() {
        return accessModes.contains("ReadWriteMany");
    }
}
