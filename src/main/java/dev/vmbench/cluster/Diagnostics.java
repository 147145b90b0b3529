package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Evidence about a group that failed: its VMs, VMIs, DataVolumes, PVCs and virt-launcher pods as YAML, each
 * guest's serial console log, and the namespace's events about them. Secrets are never read.
 */
final class Diagnostics {

    private Diagnostics() {
    }

    /**
     * Collects each piece on its own (VMs, VMIs, DataVolumes, PVCs, launcher pods with their serial consoles,
     * events): a piece the identity may not read (403) or that fails costs only that piece, noted in
     * {@code diagnostics-errors.txt}.
     */
    static Map<String, String> collect(KubernetesClient client, String namespace, Map<String, String> selector) {
        Map<String, String> evidence = new LinkedHashMap<>();
        List<String> missing = new java.util.ArrayList<>();
        piece(missing, "VirtualMachines", () -> dump(evidence, "vm", KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE,
                namespace).withLabels(selector).list().getItems()));
        piece(missing, "VirtualMachineInstances", () -> dump(evidence, "vmi", KubeVirt.in(client,
                KubeVirt.VIRTUAL_MACHINE_INSTANCE, namespace).withLabels(selector).list().getItems()));
        piece(missing, "DataVolumes", () -> dump(evidence, "dv", KubeVirt.in(client, KubeVirt.DATA_VOLUME, namespace)
                .withLabels(selector).list().getItems()));
        piece(missing, "PersistentVolumeClaims", () -> dump(evidence, "pvc", client.persistentVolumeClaims()
                .inNamespace(namespace).withLabels(selector).list().getItems()));
        // KubeVirt gives the virt-launcher pod the VMI's labels; its guest-console-log container is the serial
        // console (logSerialConsole)
        piece(missing, "virt-launcher pods", () -> {
            for (io.fabric8.kubernetes.api.model.Pod pod : client.pods().inNamespace(namespace).withLabels(selector)
                    .list().getItems()) {
                evidence.put("pod-" + pod.getMetadata().getName() + ".yaml", Serialization.asYaml(pod));
                evidence.put("console-" + pod.getMetadata().getLabels().getOrDefault("vm.kubevirt.io/name",
                        pod.getMetadata().getName()) + ".log", console(client, namespace, pod.getMetadata().getName(), 300));
            }
        });
        Set<String> names = evidence.keySet().stream().map(k -> k.substring(k.indexOf('-') + 1))
                .map(k -> k.replaceFirst("\\.yaml$", "")).collect(Collectors.toSet());
        piece(missing, "events", () -> {
            List<Event> events = client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .filter(e -> e.getInvolvedObject() != null && names.contains(e.getInvolvedObject().getName()))
                    .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp())))
                    .toList();
            evidence.put("events.txt", events.isEmpty() ? "(no events)" : events.stream()
                    .map(e -> e.getLastTimestamp() + " " + e.getType() + " " + e.getInvolvedObject().getKind() + "/"
                            + e.getInvolvedObject().getName() + " " + e.getReason() + ": " + e.getMessage())
                    .collect(Collectors.joining("\n")));
        });
        if (!missing.isEmpty()) {
            evidence.put("diagnostics-errors.txt", String.join("\n", missing));
        }
        return evidence;
    }

    /**
     * Each VM's serial console so far (its boot, cloud-init's own lines among them), by VM name: what a reviewer
     * reads to see how the guest came up. A console that cannot be read says why in its place.
     */
    static Map<String, String> consoles(KubernetesClient client, String namespace, Map<String, String> selector) {
        Map<String, String> consoles = new java.util.TreeMap<>();
        try {
            for (io.fabric8.kubernetes.api.model.Pod pod : client.pods().inNamespace(namespace).withLabels(selector)
                    .list().getItems()) {
                consoles.put(pod.getMetadata().getLabels().getOrDefault("vm.kubevirt.io/name",
                        pod.getMetadata().getName()), console(client, namespace, pod.getMetadata().getName(), 5000));
            }
        } catch (KubernetesClientException e) {
            consoles.put("(virt-launcher pods)", "serial consoles unavailable: HTTP " + e.getCode() + " "
                    + e.getMessage());
        }
        return consoles;
    }

    private static void piece(List<String> missing, String what, Runnable read) {
        try {
            read.run();
        } catch (KubernetesClientException e) {
            missing.add(what + " not collected: HTTP " + e.getCode() + " " + e.getMessage());
        }
    }

    /** The most of one serial console vmbench reads. */
    static final int CONSOLE_LIMIT = 1 << 20;

    private static String console(KubernetesClient client, String namespace, String pod, int lines) {
        try {
            // the last lines, and no more than 1 MiB of them: a guest decides what its console prints
            String log;
            try (java.io.InputStream in = client.pods().inNamespace(namespace).withName(pod)
                    .inContainer("guest-console-log").limitBytes(CONSOLE_LIMIT).tailingLines(lines)
                    .getLogInputStream()) {
                log = in == null ? "" : new String(in.readNBytes(CONSOLE_LIMIT), java.nio.charset.StandardCharsets.UTF_8);
            }
            return log.isEmpty() ? "(the serial console printed nothing)" : log;
        } catch (java.io.IOException e) {
            return "serial console unavailable: " + e.getMessage();
        } catch (KubernetesClientException e) {
            return "serial console unavailable: HTTP " + e.getCode() + " " + e.getMessage();
        }
    }

    private static void dump(Map<String, String> evidence, String kind, List<? extends HasMetadata> items) {
        for (HasMetadata item : items) {
            evidence.put(kind + "-" + item.getMetadata().getName() + ".yaml", Serialization.asYaml(item));
        }
    }
}
