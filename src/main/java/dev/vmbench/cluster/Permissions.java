package dev.vmbench.cluster;

import java.util.List;

/**
 * Every permission a run needs — in its namespace, in the DataSource's namespace and at cluster scope — and so
 * the rules of the Roles and ClusterRole in {@code docs/vmbench-role.yaml} (a test keeps the two equal, and the
 * embedded cluster grants the run's identity exactly these). {@code Preflight} asks the API server about each one
 * with a SelfSubjectAccessReview before anything is created.
 */
public final class Permissions {

    /** One rule: the verbs on {@code group}/{@code resource} (with {@code subresource}, if any). */
    public record Rule(String group, String resource, String subresource, List<String> verbs) {
        public String resourceName() {
            return subresource.isEmpty() ? resource : resource + "/" + subresource;
        }
    }

    /** In the run's namespace (Role {@code vmbench}). */
    public static final List<Rule> REQUIRED = List.of(
            new Rule("kubevirt.io", "virtualmachines", "", List.of("create", "get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("kubevirt.io", "virtualmachineinstances", "", List.of("get", "list", "watch")),
            new Rule("subresources.kubevirt.io", "virtualmachineinstances", "portforward", List.of("get")),
            new Rule("cdi.kubevirt.io", "datavolumes", "", List.of("get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("", "persistentvolumeclaims", "", List.of("create", "get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("", "secrets", "", List.of("create", "list", "watch", "delete", "deletecollection")),
            new Rule("", "events", "", List.of("list")),
            // diagnostics: the virt-launcher pods and their guest-console-log container (the serial console)
            new Rule("", "pods", "", List.of("list")),
            new Rule("", "pods", "log", List.of("get")),
            // the namespace itself: does it exist yet
            new Rule("", "namespaces", "", List.of("get")),
            // the run's lease: a sweep by another run spares what a live harness still uses
            new Rule("coordination.k8s.io", "leases", "", List.of("create", "get", "update", "patch", "delete")));

    /** In the DataSource's namespace (Role {@code vmbench-datasource}): read it, and clone from it (CDI). */
    public static final List<Rule> DATA_SOURCE = List.of(
            new Rule("cdi.kubevirt.io", "datasources", "", List.of("get")),
            new Rule("cdi.kubevirt.io", "datavolumes", "source", List.of("create")));

    /** At cluster scope (ClusterRole {@code vmbench}): what preflight and the report's environment read. */
    public static final List<Rule> CLUSTER = List.of(
            new Rule("storage.k8s.io", "storageclasses", "", List.of("get", "list")),
            new Rule("cdi.kubevirt.io", "storageprofiles", "", List.of("get")),
            new Rule("cdi.kubevirt.io", "cdis", "", List.of("list")),
            new Rule("kubevirt.io", "kubevirts", "", List.of("list")),
            new Rule("", "nodes", "", List.of("list")));

    /** Only when the run's namespace does not exist yet: creating it (cluster scope). */
    public static final Rule CREATE_NAMESPACE = new Rule("", "namespaces", "", List.of("create"));

    /** Only with {@code -Dvmbench.connector=pod}. */
    public static final List<Rule> POD_CONNECTOR = List.of(
            new Rule("", "pods", "portforward", List.of("create", "get")));

    /** Only for the pod baseline ({@code PodBaselineIT}): its pod, and the exec subresource it is reached through. */
    public static final List<Rule> POD_BASELINE = List.of(
            new Rule("", "pods", "", List.of("create", "get", "list", "watch", "delete", "deletecollection")),
            new Rule("", "pods", "exec", List.of("create", "get")));

    /**
     * Only for the storage capability checks ({@code StorageCapabilitiesIT}), in the run's namespace: snapshots and
     * restores, a migration, a clone of the data PVC, stopping and starting the VM, growing its PVC.
     */
    public static final List<Rule> CAPABILITIES = List.of(
            new Rule("kubevirt.io", "virtualmachines", "", List.of("patch")),
            new Rule("snapshot.kubevirt.io", "virtualmachinesnapshots", "", List.of("create", "get", "list", "watch",
                    "delete", "deletecollection")),
            // read only: the snapshot's content is evidence (its per-VolumeSnapshot status says why one is not ready)
            new Rule("snapshot.kubevirt.io", "virtualmachinesnapshotcontents", "", List.of("get")),
            new Rule("snapshot.kubevirt.io", "virtualmachinerestores", "", List.of("create", "get", "list", "watch",
                    "delete", "deletecollection")),
            new Rule("kubevirt.io", "virtualmachineinstancemigrations", "", List.of("create", "get", "list", "watch",
                    "delete", "deletecollection")),
            new Rule("cdi.kubevirt.io", "datavolumes", "", List.of("create")),
            new Rule("cdi.kubevirt.io", "datavolumes", "source", List.of("create")),
            new Rule("", "persistentvolumeclaims", "", List.of("patch")));

    /** Only for the storage capability checks, at cluster scope: which CSI drivers can snapshot. */
    public static final List<Rule> CAPABILITIES_CLUSTER = List.of(
            new Rule("snapshot.storage.k8s.io", "volumesnapshotclasses", "", List.of("list")));

    private Permissions() {
    }
}
