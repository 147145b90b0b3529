package dev.vmbench.embedded;

import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the simulated controllers write back: a resource's whole status, a Warning event, a condition. */
final class StatusWriter {

    private StatusWriter() {
    }

    /**
     * Replaces the status of the resource as it is now, but for the fields named in {@code kept} (another
     * controller's); nothing when it is gone.
     */
    static void status(KubernetesClient client, ResourceDefinitionContext type, String ns, String name,
            Map<String, Object> status, String... kept) {
        GenericKubernetesResource latest = KubeVirt.in(client, type, ns).withName(name).get();
        if (latest == null) {
            return;
        }
        Map<String, Object> next = new LinkedHashMap<>(status);
        Map<String, Object> was = dev.vmbench.cluster.Untyped.status(latest);
        for (String field : kept) {
            if (was.get(field) != null) {
                next.put(field, was.get(field));
            }
        }
        latest.setAdditionalProperty("status", next);
        KubeVirt.in(client, type, ns).resource(latest).updateStatus();
    }

    /** Sets ({@code value} non-null) or removes one field of the resource's status, keeping the rest. */
    static void statusField(KubernetesClient client, ResourceDefinitionContext type, String ns, String name,
            String field, Object value) {
        GenericKubernetesResource latest = KubeVirt.in(client, type, ns).withName(name).get();
        if (latest == null) {
            return;
        }
        Map<String, Object> next = new LinkedHashMap<>(dev.vmbench.cluster.Untyped.status(latest));
        if (value == null) {
            next.remove(field);
        } else {
            next.put(field, value);
        }
        latest.setAdditionalProperty("status", next);
        KubeVirt.in(client, type, ns).resource(latest).updateStatus();
    }

    static void event(KubernetesClient client, String ns, String kind, String name, String reason, String message) {
        event(client, ns, kind, name, "Warning", reason, message);
    }

    /** An event of {@code type} ({@code Normal} or {@code Warning}) about the object. */
    static void event(KubernetesClient client, String ns, String kind, String name, String type, String reason,
            String message) {
        client.v1().events().inNamespace(ns).resource(new EventBuilder()
                .withNewMetadata().withGenerateName(name + "-").withNamespace(ns).endMetadata()
                .withNewInvolvedObject().withKind(kind).withName(name).withNamespace(ns).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message)
                .withLastTimestamp(Instant.now().toString()).build()).create();
    }

    static Map<String, Object> condition(String type, String status, String reason, String message) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", status);
        c.put("reason", reason);
        c.put("message", message);
        c.put("lastTransitionTime", Instant.now().toString());
        return c;
    }
}
