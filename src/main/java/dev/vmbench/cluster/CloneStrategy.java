package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How CDI cloned a claim, as it records it: {@code cdi.kubevirt.io/cloneType} ({@code csi-clone}, {@code snapshot},
 * {@code copy}) and, when a smart clone was not possible, {@code cdi.kubevirt.io/cloneFallbackReason} — both on the
 * target PVC (CDI {@code pkg/controller/populators/clone-populator.go}); the DataVolume carries the type too, never
 * the reason.
 *
 * @param type the strategy, {@code unknown} while nothing says
 * @param fallback why CDI fell back to a host-assisted copy, or empty
 */
record CloneStrategy(String type, Optional<String> fallback) {

    static final String TYPE = "cdi.kubevirt.io/cloneType";
    static final String FALLBACK = "cdi.kubevirt.io/cloneFallbackReason";

    /** Read from the target PVC, then the DataVolume; either may be null (not created yet, or gone). */
    static CloneStrategy of(PersistentVolumeClaim target, GenericKubernetesResource dataVolume) {
        Map<String, String> claim = annotations(target);
        String type = Optional.ofNullable(claim.get(TYPE)).orElse(annotations(dataVolume).getOrDefault(TYPE, "unknown"));
        return new CloneStrategy(type, Optional.ofNullable(claim.get(FALLBACK)).filter(r -> !r.isBlank()));
    }

    /** {@code strategy} and, after a fallback, {@code fallback}: the clone check's details. */
    Map<String, String> details() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("strategy", type);
        fallback.ifPresent(reason -> out.put("fallback", reason));
        return out;
    }

    private static Map<String, String> annotations(HasMetadata resource) {
        return resource == null || resource.getMetadata() == null ? Map.of()
                : Optional.ofNullable(resource.getMetadata().getAnnotations()).orElse(Map.of());
    }
}
