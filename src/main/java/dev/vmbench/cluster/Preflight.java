package dev.vmbench.cluster;

import dev.vmbench.config.BenchConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks, before anything is created, that the cluster can run the plan: the API answers, every StorageClass
 * under test exists, and the DataSource the root disks clone from exists and is Ready. All problems are
 * reported together.
 */
public final class Preflight {

    private Preflight() {
    }

    /** @throws ProvisioningException listing every problem with its fix */
    public static void check(KubernetesClient client, BenchConfig config) {
        List<String> problems = new ArrayList<>();
        try {
            List<String> classes = client.storage().v1().storageClasses().list().getItems().stream()
                    .map(StorageClass::getMetadata).map(m -> m.getName()).sorted().toList();
            for (String pool : config.pools()) {
                if (!classes.contains(pool)) {
                    problems.add("StorageClass [" + pool + "] does not exist; the cluster has " + classes
                            + ". Fix: pass one of them with -Dpool=<name>.");
                }
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
            problems.add("The Kubernetes API at " + client.getMasterUrl() + " did not answer: HTTP " + e.getCode()
                    + " " + e.getMessage() + ". Fix: check the kubeconfig (KUBECONFIG) and that you are logged in.");
        }
        if (!problems.isEmpty()) {
            throw new ProvisioningException("Preflight found " + problems.size() + " problem(s):\n  - "
                    + String.join("\n  - ", problems));
        }
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
