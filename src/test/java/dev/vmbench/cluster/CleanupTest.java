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

/** Cleanup is best effort and leaves nothing running behind it, even when what it deletes will not go. */
class CleanupTest {

    @TempDir
    Path dir;

    @Test
    void aWaitThatTimesOutClosesItsWatch() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build();
                KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
            // given: a Secret a finalizer holds, so deleting it never completes
            admin.secrets().inNamespace("vmbench").resource(new SecretBuilder().withNewMetadata().withName("held")
                    .addToLabels(Labels.RUN, "r1").addToFinalizers("example.com/hold").endMetadata().build()).create();
            int before = cluster.openWatches();

            // when
            List<String> problems = Cleanup.deleteLabelled(client, "vmbench", Map.of(Labels.RUN, "r1"),
                    Duration.ofSeconds(1));

            // then: the timeout is reported, and no watch of the wait stays open
            assertThat(problems).contains("Secrets with {vmbench.dev/run=r1} still exist in vmbench after 1s");
            await("the cleanup's watches closed").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(cluster.openWatches()).isEqualTo(before));
        }
    }

    @Test
    void onceTheRunIsBeingDeletedNothingMoreIsCreated() {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            // given: a run whose JVM is stopping (Ctrl+C): its resources are being deleted
            VmGroupProvisioner provisioner = new VmGroupProvisioner(client, client, dev.vmbench.config.BenchConfig.from(
                    key -> java.util.Optional.ofNullable(key.equals("pool") ? EmbeddedCluster.STORAGE_CLASS : null),
                    name -> null, List.of()), null, null, null, "20261207-000000-stop", null);
            provisioner.deleteRun(Duration.ofSeconds(10));

            // when: a provisioning thread goes on to its next group
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> provisioner.provision(new dev.vmbench.matrix
                    .VmGroupSpec(EmbeddedCluster.STORAGE_CLASS, dev.vmbench.matrix.VmSize.parse("small"), "1Gi", 2),
                    null))

                    // then: refused before anything is created, not even the run's lease
                    .isInstanceOf(ProvisioningException.class).hasMessageContaining("The run is stopping (the JVM is "
                            + "shutting down): VM group embedded-local small 1Gi x2 is not created. Fix: none; the "
                            + "run's resources are being deleted.");
            assertThat(Cleanup.labelled(client, "vmbench", Map.of(Labels.MANAGED_BY, Labels.MANAGER))).isEmpty();
            try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
                assertThat(admin.leases().inNamespace("vmbench").list().getItems()).isEmpty();
            }
        }
    }
}
