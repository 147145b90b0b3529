package dev.vmbench.cluster;

import dev.vmbench.config.BenchConfig;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What the report says about the cluster: Kubernetes, KubeVirt and CDI versions, each StorageClass under test
 * (provisioner, parameters), the nodes. A fact that cannot be read says why instead of failing the run.
 */
public final class ClusterFacts {

    private ClusterFacts() {
    }

    public static Map<String, String> read(KubernetesClient client, BenchConfig config) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("kubernetes", fact(() -> client.getKubernetesVersion().getGitVersion()));
        facts.put("kubevirt", fact(() -> version(client.genericKubernetesResources(KubeVirt.KUBEVIRT).inAnyNamespace()
                .list().getItems(), "observedKubeVirtVersion")));
        facts.put("cdi", fact(() -> version(client.genericKubernetesResources(KubeVirt.CDI).list().getItems(),
                "observedVersion")));
        for (String pool : config.pools()) {
            facts.put("storage class " + pool, fact(() -> {
                StorageClass sc = client.storage().v1().storageClasses().withName(pool).get();
                return sc == null ? "missing" : sc.getProvisioner() + " " + new TreeMap<>(
                        sc.getParameters() == null ? Map.of() : sc.getParameters());
            }));
        }
        facts.put("nodes", fact(() -> {
            List<Node> nodes = client.nodes().list().getItems();
            return nodes.size() + " " + nodes.stream().collect(Collectors.groupingBy(n -> n.getMetadata().getLabels()
                    .getOrDefault("node.kubernetes.io/instance-type", "unlabelled"), TreeMap::new, Collectors.counting()));
        }));
        return facts;
    }

    @SuppressWarnings("unchecked")
    private static String version(List<GenericKubernetesResource> items, String field) {
        return items.stream().map(i -> i.getAdditionalProperties().get("status"))
                .filter(Map.class::isInstance).map(s -> String.valueOf(((Map<String, Object>) s).get(field)))
                .findFirst().orElse("not installed");
    }

    private static String fact(Supplier<String> read) {
        try {
            return java.util.Objects.requireNonNullElse(read.get(), "unknown");
        } catch (KubernetesClientException e) {
            return "unknown (HTTP " + e.getCode() + ")";
        } catch (RuntimeException e) {
            return "unknown (" + e.getClass().getSimpleName() + ")";
        }
    }
}
