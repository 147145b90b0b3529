package dev.vmbench.embedded;

import static dev.vmbench.cluster.Untyped.list;
import static dev.vmbench.cluster.Untyped.map;
import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmbench.Schemas;
import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulated snapshot and restore controllers: the VolumeSnapshot a snapshot cuts, and a restore whose target's
 * VMI still exists, policy by policy, as KubeVirt's {@code handleVMRestoreTargetNotReady} handles it. The harness
 * always stops the VM first; these are the paths a person restoring by hand takes on the embedded cluster.
 */
class SimulatedRestoreTest {

    private static final String NS = "restores";

    @TempDir
    Path dir;

    private EmbeddedCluster cluster;
    private KubernetesClient client;

    @BeforeEach
    void aRunningVmWithASnapshot() {
        cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
        client = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
        // the driver provisioned more than was asked for, as drivers that round up to their extent size do
        client.persistentVolumeClaims().inNamespace(NS).resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("vm-data").endMetadata().withNewSpec().withStorageClassName(EmbeddedCluster.STORAGE_CLASS)
                .withAccessModes("ReadWriteMany").withVolumeMode("Block").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().withNewStatus()
                .withPhase("Bound").addToCapacity("storage", new Quantity("2Gi")).endStatus().build()).create();
        // a VM with a data disk and no cloud-init: its VMI appears (it never boots), which is all a restore checks
        create(KubeVirt.VIRTUAL_MACHINE, "VirtualMachine", "kubevirt.io/v1", "vm", Map.of("runStrategy", "Always",
                "template", Map.of("spec", Map.of("domain", Map.of("devices", Map.of()), "volumes", List.of(Map.of(
                        "name", "datadisk", "persistentVolumeClaim", Map.of("claimName", "vm-data")))))));
        await("the VM's VMI").atMost(Duration.ofSeconds(10)).until(() -> get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, "vm")
                != null);
        create(KubeVirt.VM_SNAPSHOT, "VirtualMachineSnapshot", "snapshot.kubevirt.io/v1beta1", "snap", Map.of(
                "source", Map.of("apiGroup", "kubevirt.io", "kind", "VirtualMachine", "name", "vm")));
        await("the snapshot ready").atMost(Duration.ofSeconds(10)).until(() -> Boolean.TRUE.equals(
                status(get(KubeVirt.VM_SNAPSHOT, "snap")).get("readyToUse")));
    }

    @AfterEach
    void close() {
        client.close();
        cluster.close();
    }

    @Test
    void theSnapshotsVolumeSnapshotAndItsClassAreShapedAsTheSnapshotControllerWritesThem() {
        List<GenericKubernetesResource> volumeSnapshots = KubeVirt.in(client, KubeVirt.VOLUME_SNAPSHOT, NS).list()
                .getItems();

        assertThat(volumeSnapshots).singleElement().satisfies(vs -> {
            assertThat(vs.getMetadata().getName()).matches("vmsnapshot-[\\w-]+-volume-datadisk");
            assertThat(Schemas.violations(Schemas.VOLUME_SNAPSHOT, Serialization.asYaml(vs))).isEmpty();
            // the driver's size_bytes: what was provisioned, not what was asked for
            assertThat(status(vs)).containsEntry("readyToUse", true).containsEntry("restoreSize", "2Gi");
        });
        assertThat(client.genericKubernetesResources(KubeVirt.VOLUME_SNAPSHOT_CLASS).list().getItems())
                .singleElement().satisfies(c -> assertThat(Schemas.violations(Schemas.VOLUME_SNAPSHOT_CLASS,
                        Serialization.asYaml(c))).isEmpty());
    }

    @Test
    void failImmediateFailsAtOnceWithUpstreamsReason() {
        restore("now", "FailImmediate");

        await("the restore failed").atMost(Duration.ofSeconds(10)).until(() -> conditions("now").containsKey(
                "Failure"));
        assertThat(conditions("now")).containsEntry("Failure", "True Restore target not ready")
                .containsEntry("Progressing", "False Operation failed").containsEntry("Ready", "False Operation failed");
        assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("RestoreTargetNotReady");
            assertThat(e.getMessage()).isEqualTo("Restore target VMI still exists");
        });
    }

    @Test
    void theDefaultPolicyWaitsForTheTargetWithinItsGracePeriod() {
        restore("later", null);

        await("the restore waiting").atMost(Duration.ofSeconds(10)).until(() -> conditions("later").containsKey(
                "Progressing"));
        assertThat(conditions("later")).containsEntry("Progressing", "False Waiting for target to be ready")
                .containsEntry("Ready", "False Waiting for target to be ready").doesNotContainKey("Failure");
        assertThat(status(get(KubeVirt.VM_RESTORE, "later")).get("complete")).isEqualTo(false);
    }

    @Test
    void stopTargetStopsTheVmAndThenRestores() {
        restore("stopping", "StopTarget");

        await("the restore complete").atMost(Duration.ofSeconds(20)).until(() -> Boolean.TRUE.equals(
                status(get(KubeVirt.VM_RESTORE, "stopping")).get("complete")));
        assertThat(spec(get(KubeVirt.VIRTUAL_MACHINE, "vm")).get("runStrategy"))
                .isEqualTo("Halted");
        assertThat(get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, "vm")).isNull();
        assertThat(conditions("stopping")).containsEntry("Ready", "True Operation complete");
        // the restored claim: from the VolumeSnapshot, and no smaller than its restoreSize
        Map<String, Object> template = map(spec(get(KubeVirt.VIRTUAL_MACHINE, "vm")).get("template"));
        String claim = String.valueOf(map(list(map(template.get("spec")).get("volumes")).get(0)
                .get("persistentVolumeClaim")).get("claimName"));
        assertThat(claim).matches("restore-[\\w-]+-datadisk");
        PersistentVolumeClaim restored = client.persistentVolumeClaims().inNamespace(NS).withName(claim).get();
        assertThat(restored.getSpec().getDataSource().getKind()).isEqualTo("VolumeSnapshot");
        assertThat(restored.getSpec().getResources().getRequests().get("storage")).isEqualTo(new Quantity("2Gi"));
    }

    private void restore(String name, String policy) {
        Map<String, Object> spec = new java.util.LinkedHashMap<>(Map.of("target", Map.of("apiGroup", "kubevirt.io",
                "kind", "VirtualMachine", "name", "vm"), "virtualMachineSnapshotName", "snap"));
        if (policy != null) {
            spec.put("targetReadinessPolicy", policy);
        }
        create(KubeVirt.VM_RESTORE, "VirtualMachineRestore", "snapshot.kubevirt.io/v1beta1", name, spec);
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

    /** type → "status reason". */
    private Map<String, String> conditions(String restore) {
        return list(status(get(KubeVirt.VM_RESTORE, restore)).get("conditions")).stream().collect(Collectors.toMap(
                c -> String.valueOf(c.get("type")), c -> c.get("status") + " " + c.get("reason")));
    }
}
