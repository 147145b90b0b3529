package dev.vmbench.embedded;

import static dev.vmbench.cluster.Untyped.map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A recorded run ({@code trace.jsonl.gz}, written by {@link dev.vmbench.cluster.RunTrace}) played back in place of
 * the simulation: the n-th VM the harness creates gets the n-th recorded VM's timeline — its status, its
 * DataVolumes, PVCs and VMI as they were created, changed and deleted, and the events about them — at the recorded
 * times after its creation, with the recorded names replaced by the new ones. Once the recorded VMI runs, the
 * simulation takes the VM over and boots its guest as a sandbox (the guest's own behaviour is not in a trace).
 */
final class TraceReplay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TraceReplay.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One recorded line: when (ms after its VM was created), what happened, to which kind and name, the object. */
    private record Step(long at, String event, String kind, String name, Map<String, Object> object) {
    }

    /** Each recorded VM's name and timeline, in the order the VMs were created. */
    private final List<Map.Entry<String, List<Step>>> vms;
    private final AtomicInteger next = new AtomicInteger();
    private final ScheduledExecutorService steps = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "embedded-replay");
        t.setDaemon(true);
        return t;
    });

    private TraceReplay(List<Map.Entry<String, List<Step>>> vms) {
        this.vms = vms;
    }

    /** Reads a trace; a VM's timeline holds every line about an object whose name starts with the VM's. */
    @SuppressWarnings("unchecked")
    static TraceReplay load(Path file) {
        List<Map<String, Object>> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    lines.add(JSON.readValue(line, Map.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the trace " + file + " to replay: " + e.getMessage(), e);
        }
        Map<String, Long> created = new LinkedHashMap<>();
        for (Map<String, Object> line : lines) {
            if ("VirtualMachine".equals(line.get("kind")) && "ADDED".equals(line.get("event"))) {
                created.putIfAbsent(String.valueOf(line.get("name")), ((Number) line.get("t")).longValue());
            }
        }
        List<Map.Entry<String, List<Step>>> vms = new ArrayList<>();
        created.forEach((vm, start) -> {
            List<Step> timeline = new ArrayList<>();
            for (Map<String, Object> line : lines) {
                String about = "Event".equals(line.get("kind")) ? String.valueOf(map(map(line.get("object"))
                        .get("involvedObject")).get("name")) : String.valueOf(line.get("name"));
                if (line.get("kind") != null && (about.equals(vm) || about.startsWith(vm + "-"))) {
                    timeline.add(new Step(Math.max(0, ((Number) line.get("t")).longValue() - start),
                            String.valueOf(line.get("event")), String.valueOf(line.get("kind")),
                            String.valueOf(line.get("name")), map(line.get("object"))));
                }
            }
            vms.add(Map.entry(vm, timeline));
        });
        LOG.info("Replaying {} recorded VM(s) from {}", vms.size(), file);
        return new TraceReplay(vms);
    }

    /**
     * Plays the next recorded VM's timeline for the VM {@code ns/name} the harness just created; {@code takeOver}
     * boots it once the recorded VMI ran. A VM past the recorded ones is left to {@code takeOver} at once.
     */
    void play(KubernetesClient client, GenericKubernetesResource vm, BiConsumer<String, String> takeOver) {
        String ns = vm.getMetadata().getNamespace();
        String name = vm.getMetadata().getName();
        int index = next.getAndIncrement();
        if (index >= vms.size()) {
            LOG.warn("The trace holds {} VM(s); VM {}/{} is simulated", vms.size(), ns, name);
            takeOver.accept(ns, name);
            return;
        }
        String recorded = vms.get(index).getKey();
        for (Step step : vms.get(index).getValue()) {
            if (step.kind().equals("VirtualMachine") && step.event().equals("ADDED")) {
                continue;
            }
            steps.schedule(() -> apply(client, vm, recorded, step, takeOver), step.at(), TimeUnit.MILLISECONDS);
        }
    }

    private void apply(KubernetesClient client, GenericKubernetesResource vm, String recorded, Step step,
            BiConsumer<String, String> takeOver) {
        String ns = vm.getMetadata().getNamespace();
        String vmName = vm.getMetadata().getName();
        String name = step.name().replace(recorded, vmName);
        Map<String, Object> object = renamed(step.object(), recorded, vmName);
        try {
            if (step.kind().equals("VirtualMachineInstance") && "Running".equals(map(object.get("status"))
                    .get("phase")) && taken.add(ns + "/" + vmName)) {
                // the guest is no part of the trace: from here the simulation boots it
                takeOver.accept(ns, vmName);
                return;
            }
            if (taken.contains(ns + "/" + vmName)) {
                return;
            }
            switch (step.kind()) {
                case "Event" -> {
                    Map<String, Object> about = map(object.get("involvedObject"));
                    client.v1().events().inNamespace(ns).resource(new EventBuilder().withNewMetadata()
                            .withGenerateName(about.get("name") + "-").withNamespace(ns).endMetadata()
                            .withNewInvolvedObject().withKind(String.valueOf(about.get("kind")))
                            .withName(String.valueOf(about.get("name"))).withNamespace(ns).endInvolvedObject()
                            .withType(String.valueOf(object.get("type"))).withReason(String.valueOf(object.get("reason")))
                            .withMessage(String.valueOf(object.get("message")))
                            .withLastTimestamp(java.time.Instant.now().toString()).build()).create();
                }
                case "PersistentVolumeClaim" -> claim(client, vm, name, step.event(), object);
                case "VirtualMachine" -> StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE, ns, name,
                        map(object.get("status")));
                default -> resource(client, vm, type(step.kind()), step.kind(), name, step.event(), object);
            }
        } catch (RuntimeException e) {
            LOG.warn("Replaying {} {} {} failed: {}", step.event(), step.kind(), name, e.getMessage());
        }
    }

    private final java.util.Set<String> taken = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static void resource(KubernetesClient client, GenericKubernetesResource vm, ResourceDefinitionContext type,
            String kind, String name, String event, Map<String, Object> object) {
        String ns = vm.getMetadata().getNamespace();
        if (event.equals("DELETED")) {
            KubeVirt.in(client, type, ns).withName(name).delete();
            return;
        }
        if (KubeVirt.in(client, type, ns).withName(name).get() == null) {
            GenericKubernetesResource created = new GenericKubernetesResource();
            created.setApiVersion(type.getGroup() + "/" + type.getVersion());
            created.setKind(kind);
            created.setMetadata(owned(vm, name));
            created.setAdditionalProperty("spec", object.get("spec"));
            KubeVirt.in(client, type, ns).resource(created).create();
        }
        StatusWriter.status(client, type, ns, name, map(object.get("status")));
    }

    private static void claim(KubernetesClient client, GenericKubernetesResource vm, String name, String event,
            Map<String, Object> object) {
        String ns = vm.getMetadata().getNamespace();
        if (event.equals("DELETED")) {
            client.persistentVolumeClaims().inNamespace(ns).withName(name).delete();
            return;
        }
        Map<String, Object> recorded = new LinkedHashMap<>();
        recorded.put("apiVersion", "v1");
        recorded.put("kind", "PersistentVolumeClaim");
        recorded.put("spec", map(object.get("spec")));
        recorded.put("status", map(object.get("status")));
        PersistentVolumeClaim claim = JSON.convertValue(recorded, PersistentVolumeClaim.class);
        claim.setMetadata(owned(vm, name));
        PersistentVolumeClaim now = client.persistentVolumeClaims().inNamespace(ns).withName(name).get();
        if (now == null) {
            client.persistentVolumeClaims().inNamespace(ns).resource(claim).create();
        } else {
            now.setStatus(claim.getStatus());
            client.persistentVolumeClaims().inNamespace(ns).resource(now).updateStatus();
        }
    }

    /** Owned by the new VM and labelled as it is, so the harness's watches and the garbage collector find it. */
    private static io.fabric8.kubernetes.api.model.ObjectMeta owned(GenericKubernetesResource vm, String name) {
        return new ObjectMetaBuilder().withName(name).withNamespace(vm.getMetadata().getNamespace())
                .withLabels(vm.getMetadata().getLabels()).withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("kubevirt.io/v1").withKind("VirtualMachine").withName(vm.getMetadata()
                                .getName()).withUid(vm.getMetadata().getUid()).withController(true).build()).build();
    }

    private static ResourceDefinitionContext type(String kind) {
        return switch (kind) {
            case "VirtualMachineInstance" -> KubeVirt.VIRTUAL_MACHINE_INSTANCE;
            case "DataVolume" -> KubeVirt.DATA_VOLUME;
            case "VirtualMachineSnapshot" -> KubeVirt.VM_SNAPSHOT;
            case "VirtualMachineRestore" -> KubeVirt.VM_RESTORE;
            case "VirtualMachineInstanceMigration" -> KubeVirt.MIGRATION;
            default -> throw new IllegalArgumentException("the trace holds kind [" + kind + "], which no replay knows");
        };
    }

    /** The recorded object with the recorded VM's name replaced by the new one in every string. */
    @SuppressWarnings("unchecked")
    private static <T> T renamed(T value, String from, String to) {
        if (value instanceof String text) {
            return (T) text.replace(from, to);
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), renamed(v, from, to)));
            return (T) out;
        }
        if (value instanceof List<?> l) {
            return (T) l.stream().map(v -> renamed(v, from, to)).toList();
        }
        return value;
    }

    @Override
    public void close() {
        steps.shutdownNow();
    }
}
