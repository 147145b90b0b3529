package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;

/**
 * The KubeVirt and CDI resource types vmbench uses. fabric8 has no models for them, so they are handled
 * as {@link GenericKubernetesResource}s.
 */
public final class KubeVirt {

    public static final ResourceDefinitionContext VIRTUAL_MACHINE = context("kubevirt.io", "v1",
            "VirtualMachine", "virtualmachines");
    public static final ResourceDefinitionContext VIRTUAL_MACHINE_INSTANCE = context("kubevirt.io", "v1",
            "VirtualMachineInstance", "virtualmachineinstances");
    public static final ResourceDefinitionContext DATA_VOLUME = context("cdi.kubevirt.io", "v1beta1",
            "DataVolume", "datavolumes");
    public static final ResourceDefinitionContext DATA_SOURCE = context("cdi.kubevirt.io", "v1beta1",
            "DataSource", "datasources");

    /** CDI's view of a StorageClass (same name): the access and volume modes it recommends. Cluster-scoped. */
    public static final ResourceDefinitionContext STORAGE_PROFILE = new ResourceDefinitionContext.Builder()
            .withGroup("cdi.kubevirt.io").withVersion("v1beta1").withKind("StorageProfile")
            .withPlural("storageprofiles").withNamespaced(false).build();
    public static final ResourceDefinitionContext KUBEVIRT = context("kubevirt.io", "v1", "KubeVirt", "kubevirts");
    /** CDI's own configuration resource; cluster-scoped. */
    public static final ResourceDefinitionContext CDI = new ResourceDefinitionContext.Builder()
            .withGroup("cdi.kubevirt.io").withVersion("v1beta1").withKind("CDI").withPlural("cdis")
            .withNamespaced(false).build();

    public static final ResourceDefinitionContext VM_SNAPSHOT = context("snapshot.kubevirt.io", "v1beta1",
            "VirtualMachineSnapshot", "virtualmachinesnapshots");
    /** What a VirtualMachineSnapshot holds: the VM's spec and one volume backup per PVC; owns the VolumeSnapshots. */
    public static final ResourceDefinitionContext VM_SNAPSHOT_CONTENT = context("snapshot.kubevirt.io", "v1beta1",
            "VirtualMachineSnapshotContent", "virtualmachinesnapshotcontents");
    public static final ResourceDefinitionContext VM_RESTORE = context("snapshot.kubevirt.io", "v1beta1",
            "VirtualMachineRestore", "virtualmachinerestores");
    public static final ResourceDefinitionContext MIGRATION = context("kubevirt.io", "v1",
            "VirtualMachineInstanceMigration", "virtualmachineinstancemigrations");
    /** The CSI snapshotter's per-volume snapshot, which a VirtualMachineSnapshot is made of. */
    public static final ResourceDefinitionContext VOLUME_SNAPSHOT = context("snapshot.storage.k8s.io", "v1",
            "VolumeSnapshot", "volumesnapshots");
    /** Which CSI driver can snapshot; cluster-scoped. Without one for a StorageClass's provisioner, no snapshots. */
    public static final ResourceDefinitionContext VOLUME_SNAPSHOT_CLASS = new ResourceDefinitionContext.Builder()
            .withGroup("snapshot.storage.k8s.io").withVersion("v1").withKind("VolumeSnapshotClass")
            .withPlural("volumesnapshotclasses").withNamespaced(false).build();

    /** Every type the embedded cluster must serve. */
    public static final List<ResourceDefinitionContext> ALL = List.of(VIRTUAL_MACHINE, VIRTUAL_MACHINE_INSTANCE,
            DATA_VOLUME, DATA_SOURCE, STORAGE_PROFILE, KUBEVIRT, CDI, VM_SNAPSHOT, VM_SNAPSHOT_CONTENT, VM_RESTORE, MIGRATION,
            VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS);

    private KubeVirt() {
    }

    public static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> in(KubernetesClient client, ResourceDefinitionContext type,
            String namespace) {
        return client.genericKubernetesResources(type).inNamespace(namespace);
    }

    private static ResourceDefinitionContext context(String group, String version, String kind, String plural) {
        return new ResourceDefinitionContext.Builder()
                .withGroup(group).withVersion(version).withKind(kind).withPlural(plural).withNamespaced(true)
                .build();
    }
}
