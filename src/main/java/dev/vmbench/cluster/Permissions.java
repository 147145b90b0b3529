package dev.vmbench.cluster;

import java.util.List;

/**
 * Every namespaced permission a run needs, and so the rules of the minimal Role in
 * {@code docs/vmbench-role.yaml} (a test keeps the two equal). {@code Preflight} asks the API server about each
 * one with a SelfSubjectAccessReview before anything is created.
 */
public final class Permissions {

    /** One rule: the verbs on {@code group}/{@code resource} (with {@code subresource}, if any). */
    public record Rule(String group, String resource, String subresource, List<String> verbs) {
        public String resourceName() {
            return subresource.isEmpty() ? resource : resource + "/" + subresource;
        }
    }

    public static final List<Rule> REQUIRED = List.of(
            new Rule("kubevirt.io", "virtualmachines", "", List.of("create", "get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("kubevirt.io", "virtualmachineinstances", "", List.of("get", "list", "watch")),
            new Rule("subresources.kubevirt.io", "virtualmachineinstances", "portforward", List.of("get")),
            new Rule("cdi.kubevirt.io", "datavolumes", "", List.of("get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("cdi.kubevirt.io", "datasources", "", List.of("get")),
            new Rule("", "persistentvolumeclaims", "", List.of("create", "get", "list", "watch", "delete",
                    "deletecollection")),
            new Rule("", "secrets", "", List.of("create", "list", "watch", "delete", "deletecollection")),
            new Rule("", "events", "", List.of("list")),
            // the run's lease: a sweep by another run spares what a live harness still uses
            new Rule("coordination.k8s.io", "leases", "", List.of("create", "get", "update", "patch", "delete")));

    /** Only with {@code -Dvmbench.connector=pod}. */
    public static final List<Rule> POD_CONNECTOR = List.of(
            new Rule("", "pods", "", List.of("list")),
            new Rule("", "pods", "portforward", List.of("create", "get")));

    private Permissions() {
    }
}
