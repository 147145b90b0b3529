package dev.vmbench.cluster;

import dev.vmbench.config.BenchConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks, before anything is created, that the cluster can run the plan: the API answers; KubeVirt and CDI are
 * served; every StorageClass under test exists; the DataSource the root disks clone from exists and is Ready;
 * the namespace exists or may be created; and the run's identity holds every permission of
 * {@link Permissions} (SelfSubjectAccessReview). All problems are reported together.
 */
public final class Preflight {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Preflight.class);

    private Preflight() {
    }

    /**
     * @return the cluster's StorageClasses, as read
     * @throws ProvisioningException listing every problem with its fix
     */
    public static List<String> check(KubernetesClient client, BenchConfig config) {
        List<String> problems = new ArrayList<>();
        List<String> classes = List.of();
        try {
            // permissions first: a missing one would otherwise surface as a bare 403 of whatever is read next
            List<Permissions.Rule> rules = new ArrayList<>(Permissions.REQUIRED);
            if (config.connector().equals("pod")) {
                rules.addAll(Permissions.POD_CONNECTOR);
            }
            denied(client, config.namespace(), rules, "in namespace " + config.namespace(), "the Role vmbench "
                    + "of docs/vmbench-role.yaml there", problems);
            denied(client, config.dataSourceNamespace(), Permissions.DATA_SOURCE, "in the DataSource's namespace "
                    + config.dataSourceNamespace(), "the Role vmbench-datasource of docs/vmbench-role.yaml there",
                    problems);
            denied(client, null, Permissions.CLUSTER, "at cluster scope", "the ClusterRole vmbench of "
                    + "docs/vmbench-role.yaml", problems);
            vmServiceAccount(client, config).ifPresent(problems::add);
            classes = client.storage().v1().storageClasses().list().getItems().stream()
                    .map(StorageClass::getMetadata).map(m -> m.getName()).sorted().toList();
            for (String pool : config.pools()) {
                if (!classes.contains(pool)) {
                    problems.add("StorageClass [" + pool + "] does not exist; the cluster has " + classes
                            + ". Fix: pass one of them with -Dpool=<name>.");
                }
            }
            rootDiskClass(client, config).ifPresent(problems::add);
            served(client, config.namespace(), KubeVirt.VIRTUAL_MACHINE, "KubeVirt", problems);
            served(client, config.namespace(), KubeVirt.DATA_VOLUME, "CDI (Containerized Data Importer)", problems);
            Permissions.Rule create = Permissions.CREATE_NAMESPACE;
            if (client.namespaces().withName(config.namespace()).get() == null
                    && !allowed(client, null, create.group(), create.resource(), "", "create")) {
                problems.add("Namespace [" + config.namespace() + "] does not exist and this identity may not create "
                        + "it. Fix: create it (oc new-project " + config.namespace() + ") or set -Dvmbench.namespace "
                        + "to one you may use.");
            }
            GenericKubernetesResource source = KubeVirt.in(client, KubeVirt.DATA_SOURCE, config.dataSourceNamespace())
                    .withName(config.dataSourceName()).get();
            String ref = config.dataSourceNamespace() + "/" + config.dataSourceName();
            if (source == null) {
                problems.add("DataSource [" + ref + "] does not exist. Fix: set -Dvmbench.dataSource=NAMESPACE/NAME "
                        + "to a DataSource of a cloud image with cloud-init (e.g. "
                        + "openshift-virtualization-os-images/fedora).");
            } else if (!ready(source)) {
                problems.add("DataSource [" + ref + "] is not Ready, so clones from it would wait forever. Fix: "
                        + "wait for its import to finish, or choose a Ready one.");
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403 && problems.stream().anyMatch(p -> p.startsWith("This identity lacks"))) {
                // a read the missing permissions listed above forbid: nothing more to say
                LOG.debug("Preflight read refused: {}", e.getMessage());
            } else if (e.getCode() == 401) {
                problems.add("The Kubernetes API at " + client.getMasterUrl() + " refused the kubeconfig's credentials "
                        + "(HTTP 401 Unauthorized): the login has expired or the token was revoked. Fix: log in again "
                        + "(oc login), or point KUBECONFIG at a kubeconfig with valid credentials.");
            } else {
                problems.add("The Kubernetes API at " + client.getMasterUrl() + " did not answer: " + (e.getCode() > 0
                        ? "HTTP " + e.getCode() + " " + e.getMessage() : rootCause(e)) + ". Fix: check the kubeconfig "
                        + "(KUBECONFIG) and that you are logged in.");
            }
        }
        if (!problems.isEmpty()) {
            throw new ProvisioningException("Preflight found " + problems.size() + " problem(s):\n  - "
                    + String.join("\n  - ", problems));
        }
        return classes;
    }

    /**
     * The root disks are clones of an unencrypted golden image: a class that encrypts volumes cannot take them
     * as fast clones, and the guests would not boot from a volume they cannot read. Refused, explicit or default.
     */
    /** The StorageClass the root disks will be cloned to: the one set, or the cluster's default (virt) class. */
    static java.util.Optional<String> rootClassName(KubernetesClient client, BenchConfig config) {
        if (config.rootStorageClass().isPresent()) {
            return config.rootStorageClass();
        }
        return defaultRootClass(client.storage().v1().storageClasses().list().getItems())
                .map(c -> c.getMetadata().getName());
    }

    /** Where CDI clones root disks when no class is set: the default virt class, else the cluster's default. */
    private static java.util.Optional<StorageClass> defaultRootClass(List<StorageClass> classes) {
        return defaultClass(classes, "storageclass.kubevirt.io/is-default-virt-class")
                .or(() -> defaultClass(classes, "storageclass.kubernetes.io/is-default-class"));
    }

    static java.util.Optional<String> rootDiskClass(KubernetesClient client, BenchConfig config) {
        List<StorageClass> classes = client.storage().v1().storageClasses().list().getItems();
        java.util.Optional<StorageClass> root = config.rootStorageClass().isPresent()
                ? classes.stream().filter(c -> c.getMetadata().getName().equals(config.rootStorageClass().get())).findFirst()
                : defaultRootClass(classes);
        if (config.rootStorageClass().isPresent() && root.isEmpty()) {
            return java.util.Optional.of("Root-disk StorageClass [" + config.rootStorageClass().get() + "] does not "
                    + "exist. Fix: set -Dvmbench.rootStorageClass to one of " + classes.stream()
                    .map(c -> c.getMetadata().getName()).sorted().toList() + ".");
        }
        return root.flatMap(sc -> {
            Map<String, String> parameters = sc.getParameters() == null ? Map.of() : sc.getParameters();
            return parameters.entrySet().stream()
                    .filter(p -> (p.getKey().toLowerCase().contains("encrypt") || p.getKey().equalsIgnoreCase("kmsKeyId"))
                            && !p.getValue().isBlank() && !p.getValue().equalsIgnoreCase("false"))
                    .findFirst().map(p -> "Root-disk StorageClass [" + sc.getMetadata().getName() + "] encrypts volumes ("
                            + p.getKey() + "=" + p.getValue() + "): the root disks are clones of an unencrypted golden "
                            + "image and cannot be placed there. Fix: set -Dvmbench.rootStorageClass to an unencrypted "
                            + "class (the class under test is only used for the data disks).");
        });
    }

    private static java.util.Optional<StorageClass> defaultClass(List<StorageClass> classes, String annotation) {
        return classes.stream().filter(c -> c.getMetadata().getAnnotations() != null
                && "true".equals(c.getMetadata().getAnnotations().get(annotation))).findFirst();
    }

    private static void served(KubernetesClient client, String namespace, ResourceDefinitionContext type, String product,
            List<String> problems) {
        try {
            client.genericKubernetesResources(type).inNamespace(namespace).list(new ListOptionsBuilder().withLimit(1L)
                    .build());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                problems.add(type.getPlural() + "." + type.getGroup() + "/" + type.getVersion() + " is not served, so "
                        + product + " is not installed (or too old). Fix: install OpenShift Virtualization / "
                        + product + ", or point KUBECONFIG at a cluster that has it.");
            } else if (e.getCode() != 403) {
                throw e;
            }
        }
    }

    /** The innermost reason a request got no HTTP answer at all: {@code ConnectException: Connection refused}. */
    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /**
     * The capability checks' own preflight: every rule of {@link Permissions#CAPABILITIES} in the namespace and of
     * {@link Permissions#CAPABILITIES_CLUSTER}, asked before any of them creates anything.
     *
     * @throws ProvisioningException listing each missing permission and the Role that grants it
     */
    public static void checkCapabilities(KubernetesClient client, String namespace) {
        List<String> problems = new ArrayList<>();
        denied(client, namespace, Permissions.CAPABILITIES, "in namespace " + namespace + " for the storage "
                + "capability checks", "the Role vmbench-capabilities of docs/vmbench-role.yaml there", problems);
        denied(client, null, Permissions.CAPABILITIES_CLUSTER, "at cluster scope for the storage capability checks",
                "the ClusterRole vmbench-capabilities of docs/vmbench-role.yaml", problems);
        if (!problems.isEmpty()) {
            throw new ProvisioningException("Preflight of the storage capability checks found " + problems.size()
                    + " problem(s):\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * The pod baseline's own preflight: every rule of {@link Permissions#POD_BASELINE} in the run's namespace, asked
     * before its pod is created (the gate's Role runs no pods).
     *
     * @throws ProvisioningException listing each missing permission and the Role that grants it
     */
    public static void checkPodBaseline(KubernetesClient client, String namespace) {
        List<String> problems = new ArrayList<>();
        denied(client, namespace, Permissions.POD_BASELINE, "in namespace " + namespace + " for the pod baseline",
                "the Role vmbench-pod-baseline of docs/vmbench-role.yaml there", problems);
        if (!problems.isEmpty()) {
            throw new ProvisioningException("Preflight of the pod baseline found " + problems.size()
                    + " problem(s):\n  - " + String.join("\n  - ", problems));
        }
    }

    private static void denied(KubernetesClient client, String namespace, List<Permissions.Rule> rules, String where,
            String grant, List<String> problems) {
        List<String> denied = new ArrayList<>();
        for (Permissions.Rule rule : rules) {
            for (String verb : rule.verbs()) {
                if (!allowed(client, namespace, rule.group(), rule.resource(), rule.subresource(), verb)) {
                    denied.add(verb + " " + (rule.group().isEmpty() ? "" : rule.group() + "/") + rule.resourceName());
                }
            }
        }
        if (!denied.isEmpty()) {
            problems.add("This identity lacks " + denied.size() + " permission(s) " + where + ": "
                    + String.join(", ", denied) + ". Fix: apply " + grant + " and bind it to the identity "
                    + "(docs/rbac.md).");
        }
    }

    /**
     * KubeVirt authorizes the clone of each VM's root disk for the ServiceAccount the VM runs as ({@code default} in
     * the run's namespace), not for this identity: asked with a SubjectAccessReview when this identity may create
     * one (cluster administrators may), else only said.
     */
    private static java.util.Optional<String> vmServiceAccount(KubernetesClient client, BenchConfig config) {
        String account = "system:serviceaccount:" + config.namespace() + ":default";
        if (!allowed(client, null, "authorization.k8s.io", "subjectaccessreviews", "", "create")) {
            LOG.info("Preflight cannot check that the VMs' ServiceAccount {} may clone from namespace {} (this identity "
                    + "may not create SubjectAccessReviews); KubeVirt checks it when each VM is created. If that is "
                    + "refused, bind the Role vmbench-datasource there to it (docs/rbac.md).", account,
                    config.dataSourceNamespace());
            return java.util.Optional.empty();
        }
        io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview review = client.authorization().v1()
                .subjectAccessReview().create(new io.fabric8.kubernetes.api.model.authorization.v1
                        .SubjectAccessReviewBuilder().withNewSpec().withUser(account).withGroups(
                                "system:serviceaccounts", "system:serviceaccounts:" + config.namespace(),
                                "system:authenticated").withNewResourceAttributes()
                        .withNamespace(config.dataSourceNamespace()).withGroup("cdi.kubevirt.io")
                        .withResource("datavolumes").withSubresource("source").withVerb("create")
                        .endResourceAttributes().endSpec().build());
        boolean may = review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
        return may ? java.util.Optional.empty() : java.util.Optional.of("The VMs' ServiceAccount " + account
                + " may not clone from namespace " + config.dataSourceNamespace() + " (create "
                + "cdi.kubevirt.io/datavolumes/source), which KubeVirt checks for it when each VM is created. Fix: "
                + "bind the Role vmbench-datasource in namespace " + config.dataSourceNamespace() + " to ServiceAccount "
                + config.namespace() + "/default (RoleBinding vmbench-datasource-vms of docs/vmbench-role.yaml).");
    }

    private static boolean allowed(KubernetesClient client, String namespace, String group, String resource,
            String subresource, String verb) {
        SelfSubjectAccessReview review = client.authorization().v1().selfSubjectAccessReview().create(
                new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                        .withNamespace(namespace).withGroup(group).withResource(resource)
                        .withSubresource(subresource.isEmpty() ? null : subresource).withVerb(verb)
                        .endResourceAttributes().endSpec().build());
        return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
    }

    @SuppressWarnings("unchecked")
    private static boolean ready(GenericKubernetesResource source) {
        Object status = source.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
            return conditions.stream().anyMatch(c -> c instanceof Map<?, ?> m && "Ready".equals(m.get("type"))
                    && "True".equals(m.get("status")));
        }
        return false;
    }
}
