package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading the untyped maps of a {@link GenericKubernetesResource} (KubeVirt, CDI and snapshot kinds have no typed model
 * here): a missing or mistyped field reads as empty, never as an exception. The maps returned are the resource's own.
 */
public final class Untyped {

    private Untyped() {
    }

    public static Map<String, Object> spec(GenericKubernetesResource resource) {
        return resource == null ? Map.of() : map(resource.getAdditionalProperties().get("spec"));
    }

    public static Map<String, Object> status(GenericKubernetesResource resource) {
        return resource == null ? Map.of() : map(resource.getAdditionalProperties().get("status"));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** The list's maps (the resource's own objects); empty when it is no list. */
    public static List<Map<String, Object>> list(Object value) {
        List<Map<String, Object>> items = new ArrayList<>();
        if (value instanceof List<?> l) {
            l.forEach(item -> items.add(map(item)));
        }
        return items;
    }
}
