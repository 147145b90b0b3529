package dev.vmbench.embedded;

import static dev.vmbench.cluster.Untyped.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What upstream refuses while a VM's volumes are busy: CDI starts no clone of a claim a running VM's launcher pod
 * mounts (CloneSourceInUse, CDI {@code pkg/controller/clone/common.go}), and KubeVirt's VM webhook refuses to start a
 * VM whose restore is in progress ({@code vms-admitter.go} validateRestoreStatus) until the restore is deleted.
 */
class SimulatedLocksTest {

    private static final String NS = "locks";

    @TempDir
    Path dir;

    private EmbeddedCluster cluster;
    private KubernetesClient client;

    @BeforeEach
    void aRunningVm() {
        // the driver cannot create volumes from snapshots: a restore stays in progress
        cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of(Fault.RESTORE_FAILS));
        client = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
        client.persistentVolumeClaims().inNamespace(NS).resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("vm-data").endMetadata().withNewSpec().withStorageClassName(EmbeddedCluster.STORAGE_CLASS)
                .withAccessModes("ReadWriteMany").withVolumeMode("Block").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().withNewStatus()
                .withPhase("Bound").endStatus().build()).create();
        create(KubeVirt.VIRTUAL_MACHINE, "VirtualMachine", "kubevirt.io/v1", "vm", Map.of("runStrategy", "Always",
                "template", Map.of("spec", Map.of("domain", Map.of("devices", Map.of()), "volumes", List.of(Map.of(
                        "name", "datadisk", "persistentVolumeClaim", Map.of("claimName", "vm-data")))))));
        await("the VM's launcher pod").atMost(Duration.ofSeconds(10)).until(() -> !launcherPods().isEmpty());
    }

    @AfterEach
    void close() {
        client.close();
        cluster.close();
    }

    @Test
    void aCloneOfAClaimTheVmMountsWaitsWithCloneSourceInUseUntilTheVmStops() {
        // given: the launcher pod mounts the VM's claims, as virt-controller renders it
        String pod = launcherPods().get(0);

        // when
        create(KubeVirt.DATA_VOLUME, "DataVolume", "cdi.kubevirt.io/v1beta1", "copy", Map.of("source", Map.of("pvc",
                Map.of("namespace", NS, "name", "vm-data")), "storage", Map.of("storageClassName",
                EmbeddedCluster.STORAGE_CLASS)));

        // then: the clone waits, naming the pod
        await("CloneSourceInUse").atMost(Duration.ofSeconds(10)).until(() -> !warnings("copy").isEmpty());
        assertThat(warnings("copy")).singleElement().isEqualTo("CloneSourceInUse: pod " + NS + "/" + pod
                + " using PersistentVolumeClaim vm-data");
        assertThat(status(get(KubeVirt.DATA_VOLUME, "copy")).get("phase")).isEqualTo("CloneScheduled");
        // once the VM stops, the clone runs
        runStrategy("Halted");
        await("the clone succeeded").atMost(Duration.ofSeconds(10)).until(() -> "Succeeded".equals(
                status(get(KubeVirt.DATA_VOLUME, "copy")).get("phase")));
    }

    @Test
    void aVmWhoseRestoreIsInProgressCannotBeStartedUntilTheRestoreIsDeleted() {
        // given: a snapshot, the VM stopped, and a restore that waits for a PVC the driver cannot create
        create(KubeVirt.VM_SNAPSHOT, "VirtualMachineSnapshot", "snapshot.kubevirt.io/v1beta1", "snap", Map.of(
                "source", Map.of("apiGroup", "kubevirt.io", "kind", "VirtualMachine", "name", "vm")));
        await("the snapshot ready").atMost(Duration.ofSeconds(10)).until(() -> Boolean.TRUE.equals(
                status(get(KubeVirt.VM_SNAPSHOT, "snap")).get("readyToUse")));
        runStrategy("Halted");
        await("the VM stopped").atMost(Duration.ofSeconds(10)).until(() -> get(KubeVirt.VIRTUAL_MACHINE_INSTANCE,
                "vm") == null);
        create(KubeVirt.VM_RESTORE, "VirtualMachineRestore", "snapshot.kubevirt.io/v1beta1", "back", Map.of("target",
                Map.of("apiGroup", "kubevirt.io", "kind", "VirtualMachine", "name", "vm"),
                "virtualMachineSnapshotName", "snap"));
        await("the restore holds the VM").atMost(Duration.ofSeconds(10)).until(() -> "back".equals(
                status(get(KubeVirt.VIRTUAL_MACHINE, "vm")).get("restoreInProgress")));

        // then: a start is refused by the webhook, with upstream's words
        assertThatThrownBy(() -> runStrategy("Always")).isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining("admission webhook \"virtualmachine-validator.kubevirt.io\" denied the request: "
                        + "Cannot start VM until restore \"back\" completes");
        // and once the restore is deleted the VM is let go, and starts
        KubeVirt.in(client, KubeVirt.VM_RESTORE, NS).withName("back").delete();
        await("the VM released").atMost(Duration.ofSeconds(10)).until(() -> status(get(KubeVirt.VIRTUAL_MACHINE,
                "vm")).get("restoreInProgress") == null);
        runStrategy("Always");
        await("the VM running").atMost(Duration.ofSeconds(10)).until(() -> get(KubeVirt.VIRTUAL_MACHINE_INSTANCE,
                "vm") != null);
    }

    private List<String> launcherPods() {
        return client.pods().inNamespace(NS).withLabel("kubevirt.io", "virt-launcher").list().getItems().stream()
                .filter(p -> p.getSpec().getVolumes().stream().anyMatch(v -> v.getPersistentVolumeClaim() != null
                        && "vm-data".equals(v.getPersistentVolumeClaim().getClaimName())))
                .map(p -> p.getMetadata().getName()).toList();
    }

    private List<String> warnings(String dataVolume) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> dataVolume.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
                .map((Event e) -> e.getReason() + ": " + e.getMessage()).toList();
    }

    private void runStrategy(String strategy) {
        // as a user's client does: a merge patch of the field, not an edit that conflicts with status writes
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, NS).withName("vm").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"runStrategy\":\"" + strategy + "\"}}");
    }

    private void create(io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext type, String kind,
            String apiVersion, String name, Map<String, Object> spec) {
        GenericKubernetesResource resource = new GenericKubernetesResource();
        resource.setApiVersion(apiVersion);
        resource.setKind(kind);
        resource.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        resource.setAdditionalProperty("spec", spec);
        KubeVirt.in(client, type, NS).resource(resource).create();
    }

    private GenericKubernetesResource get(io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext type,
            String name) {
        return KubeVirt.in(client, type, NS).withName(name).get();
    }
}
