package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmbench.embedded.EmbeddedCluster;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Diagnostics are collected piece by piece: what the identity may not read costs only that piece. */
class DiagnosticsTest {

    @TempDir
    Path dir;

    @Test
    void diagnosticsLoseOnlyThePieceTheIdentityMayNotRead() {
        Permissions.Rule events = Permissions.REQUIRED.stream().filter(r -> r.resource().equals("events")).findFirst()
                .orElseThrow();
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(),
                java.util.Optional.of(events));
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
                KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
            // given: a PVC of the group, and an identity that may not list events
            admin.persistentVolumeClaims().inNamespace("vmbench").resource(new io.fabric8.kubernetes.api.model
                    .PersistentVolumeClaimBuilder().withNewMetadata().withName("vm-0-data").addToLabels(Labels.RUN, "r1")
                    .endMetadata().build()).create();

            // when
            Map<String, String> evidence = Diagnostics.collect(client, "vmbench", Map.of(Labels.RUN, "r1"));

            // then
            assertThat(evidence).containsKey("pvc-vm-0-data.yaml").doesNotContainKey("events.txt");
            assertThat(evidence.get("diagnostics-errors.txt")).startsWith("events not collected: HTTP 403 ")
                    .contains("cannot list resource \"events\"");
        }
    }
}
