package dev.vmbench.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes everything that carries a set of labels, best effort: every kind is tried even if another
 * fails, and one summary says what could not be deleted. Idempotent.
 */
final class Cleanup {

    private static final Logger LOG = LoggerFactory.getLogger(Cleanup.class);

    private Cleanup() {
    }

    /**
     * Deletes what carries {@code selector} except the groups (by group hash) in {@code keptGroups} — what a cleanup
     * mode chose to keep: the groups present are enumerated and each other one deleted by its own labels.
     */
    static List<String> deleteLabelled(KubernetesClient client, String namespace, Map<String, String> selector,
            java.util.Set<String> keptGroups, Duration deadline) {
        if (keptGroups.isEmpty()) {
            return deleteLabelled(client, namespace, selector, deadline);
        }
        java.util.Set<String> groups = new java.util.TreeSet<>();
        List<String> problems = new ArrayList<>();
        try {
            for (io.fabric8.kubernetes.api.model.HasMetadata r : labelled(client, namespace, selector)) {
                String group = r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(Labels.GROUP);
                if (group != null && !keptGroups.contains(group)) {
                    groups.add(group);
                }
            }
        } catch (KubernetesClientException e) {
            problems.add("list what carries " + selector + " in " + namespace + ": " + e.getMessage());
        }
        for (String group : groups) {
            Map<String, String> one = new java.util.LinkedHashMap<>(selector);
            one.put(Labels.GROUP, group);
            problems.addAll(deleteLabelled(client, namespace, one, deadline));
        }
        return problems;
    }

    /** Every VM, DataVolume, PVC and Secret of {@code namespace} that carries {@code selector}: what a group is made of. */
    static List<io.fabric8.kubernetes.api.model.HasMetadata> labelled(KubernetesClient client, String namespace,
            Map<String, String> selector) {
        List<io.fabric8.kubernetes.api.model.HasMetadata> found = new ArrayList<>();
        found.addAll(KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, namespace).withLabels(selector).list().getItems());
        found.addAll(KubeVirt.in(client, KubeVirt.DATA_VOLUME, namespace).withLabels(selector).list().getItems());
        found.addAll(client.persistentVolumeClaims().inNamespace(namespace).withLabels(selector).list().getItems());
        found.addAll(client.secrets().inNamespace(namespace).withLabels(selector).list().getItems());
        return found;
    }

    /** Deletes and waits (by watch) until the VMs, DataVolumes and PVCs are gone, for at most {@code deadline}. */
    static List<String> deleteLabelled(KubernetesClient client, String namespace, Map<String, String> selector,
            Duration deadline) {
        List<String> problems = new ArrayList<>();
        List<Deletable> kinds = new ArrayList<>();
        // a pod baseline's pod, first (it holds its PVC); asked for only when one exists, because deleting pods is
        // a permission of the pod baseline's alone
        Map<String, String> baseline = new java.util.LinkedHashMap<>(selector);
        baseline.put(Labels.BASELINE, "pod");
        try {
            if (!client.pods().inNamespace(namespace).withLabels(baseline).list().getItems().isEmpty()) {
                kinds.add(new Deletable("Pod", client.pods().inNamespace(namespace).withLabels(baseline)));
            }
        } catch (KubernetesClientException e) {
            problems.add("list baseline pods in " + namespace + " with " + baseline + ": " + e.getMessage());
        }
        // what the capability checks made; asked for only where the identity may see them (their own permission)
        for (var type : List.of(KubeVirt.VM_RESTORE, KubeVirt.VM_SNAPSHOT, KubeVirt.MIGRATION)) {
            try {
                if (!KubeVirt.in(client, type, namespace).withLabels(selector).list().getItems().isEmpty()) {
                    kinds.add(new Deletable(type.getKind(), KubeVirt.in(client, type, namespace).withLabels(selector)));
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403 && e.getCode() != 404) {
                    problems.add("list " + type.getKind() + " in " + namespace + " with " + selector + ": "
                            + e.getMessage());
                }
            }
        }
        kinds.addAll(List.of(
                new Deletable("VirtualMachine", KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, namespace).withLabels(selector)),
                new Deletable("DataVolume", KubeVirt.in(client, KubeVirt.DATA_VOLUME, namespace).withLabels(selector)),
                new Deletable("PersistentVolumeClaim", client.persistentVolumeClaims().inNamespace(namespace)
                        .withLabels(selector)),
                new Deletable("Secret", client.secrets().inNamespace(namespace).withLabels(selector))));
        for (Deletable kind : kinds) {
            try {
                kind.resources.delete();
            } catch (KubernetesClientException e) {
                problems.add("delete " + kind.kind + " in " + namespace + " with " + selector + ": " + e.getMessage());
            }
        }
        long until = System.nanoTime() + deadline.toNanos();
        for (Deletable kind : kinds) {
            java.util.concurrent.CompletableFuture<? extends List<?>> gone = null;
            try {
                long left = Math.max(1, until - System.nanoTime());
                gone = kind.resources.informOnCondition(List::isEmpty);
                gone.get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                problems.add(kind.kind + "s with " + selector + " still exist in " + namespace + " after "
                        + deadline.toSeconds() + "s");
            } catch (ExecutionException | KubernetesClientException e) {
                problems.add("watch " + kind.kind + " in " + namespace + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add("interrupted while waiting for " + kind.kind + "s to go");
            } finally {
                if (gone != null) {
                    gone.cancel(true); // stops the informer behind it: a wait that timed out leaves no watch open
                }
            }
        }
        if (!problems.isEmpty()) {
            LOG.warn("Cleanup of {} in {} left work undone:\n  - {}", selector, namespace, String.join("\n  - ", problems));
        }
        return problems;
    }

    /** The command a person runs to delete what a kept group left behind. */
    static String deleteCommand(String namespace, Map<String, String> selector) {
        String labels = String.join(",", selector.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        return "kubectl delete vmrestore,vmsnapshot,vmim,vm,dv,pod,pvc,secret -n " + namespace + " -l " + labels;
    }

    private record Deletable(String kind, FilterWatchListDeletable<?, ?, ?> resources) {
    }
}
