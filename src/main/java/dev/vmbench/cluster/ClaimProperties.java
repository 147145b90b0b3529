package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a StorageClass's volumes should be claimed, as CDI's StorageProfile recommends it (its first
 * {@code status.claimPropertySets} entry — what CDI's own {@code storage} API would choose): access modes and
 * volume mode. ceph-rbd, for one, recommends ReadWriteMany + Block, which keeps VMs live-migratable.
 */
public record ClaimProperties(List<String> accessModes, String volumeMode) {

    /** The Kubernetes defaults, used when a profile recommends nothing. */
    public static final ClaimProperties DEFAULT = new ClaimProperties(List.of("ReadWriteOnce"), "Filesystem");

    /** The StorageProfile's recommendation for {@code storageClass}; empty when it has none. */
    static Optional<ClaimProperties> recommended(KubernetesClient client, String storageClass) {
        GenericKubernetesResource profile = client.genericKubernetesResources(KubeVirt.STORAGE_PROFILE)
                .withName(storageClass).get();
        Object status = profile == null ? null : profile.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("claimPropertySets") instanceof List<?> sets && !sets.isEmpty()
                && sets.get(0) instanceof Map<?, ?> first) {
            List<String> modes = new ArrayList<>();
            if (first.get("accessModes") instanceof List<?> listed) {
                listed.forEach(m -> modes.add(String.valueOf(m)));
            }
            return Optional.of(new ClaimProperties(modes.isEmpty() ? DEFAULT.accessModes() : List.copyOf(modes),
                    first.get("volumeMode") == null ? DEFAULT.volumeMode() : first.get("volumeMode").toString()));
        }
        return Optional.empty();
    }

    /** Shared by several nodes at once: what live migration needs. */
    public boolean readWriteMany() {
        return accessModes.contains("ReadWriteMany");
    }
}
