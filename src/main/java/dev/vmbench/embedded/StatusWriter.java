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

    /** Replaces the status of the resource as it is now; nothing when it is gone. */
    static void status(KubernetesClient client, ResourceDefinitionContext type, String ns, String name,
            Map<String, Object> status) {
        GenericKubernetesResource latest = KubeVirt.in(client, type, ns).withName(name).get();
        if (latest == null) {
            return;
        }
        latest.setAdditionalProperty("status", new LinkedHashMap<>(status));
        KubeVirt.in(client, type, ns).resource(latest).updateStatus();
    }

    static void event(KubernetesClient client, String ns, String kind, String name, String reason, String message) {
        client.v1().events().inNamespace(ns).resource(new EventBuilder()
                .withNewMetadata().withGenerateName(name + "-").withNamespace(ns).endMetadata()
                .withNewInvolvedObject().withKind(kind).withName(name).withNamespace(ns).endInvolvedObject()
                .withType("Warning").withReason(reason).withMessage(message)
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
