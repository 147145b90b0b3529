package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits until every VM of a group reports Ready, by watching the group's VirtualMachines, DataVolumes and VMIs
 * (no polling; a one-second tick only judges deadlines), each read as {@link ObservedState} reads it. Fails at once
 * on states KubeVirt does not leave by itself; tolerates transient states (and a Failure condition, which KubeVirt
 * clears on its next successful sync) for vmbench.transientGrace; fails a clone whose progress stops
 * moving. Records per VM when its clone finished, its VMI was scheduled, and it became Ready.
 */
final class Readiness {

    private static final java.util.regex.Pattern PERCENT = java.util.regex.Pattern.compile("\\d+(\\.\\d+)?%");

    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final CompletableFuture<Void> outcome = new CompletableFuture<>();
    private final String namespace;
    private final Duration grace;
    private final Duration stallAfter;
    private final long start = System.nanoTime();

    /** What is known of one VM; times in ms since the wait began, -1 until seen. */
    private static final class Vm {
        final String name;
        final String rootDisk;
        volatile GenericKubernetesResource vm;
        volatile GenericKubernetesResource dataVolume;
        volatile GenericKubernetesResource vmi;
        long transientSince = -1;
        String progress = "";
        String progressPhase = "";
        long progressSince;
        long cloned = -1;
        long scheduled = -1;
        long ready = -1;

        Vm(String name, String rootDisk) {
            this.name = name;
            this.rootDisk = rootDisk;
        }
    }

    private Readiness(String namespace, Map<String, String> vmToRootDisk, Duration grace, Duration stallAfter) {
        this.namespace = namespace;
        this.grace = grace;
        this.stallAfter = stallAfter;
        vmToRootDisk.forEach((vm, disk) -> vms.put(vm, new Vm(vm, disk)));
    }

    /**
     * Blocks until every VM of {@code vmToRootDisk} is Ready, and returns per VM the phase times in ms
     * ({@code clone}, {@code schedule}, {@code boot}).
     *
     * @throws ProvisioningException naming the VM, the state and the fix
     */
    static Map<String, Map<String, Long>> awaitGroup(KubernetesClient client, String namespace,
            Map<String, String> selector, Map<String, String> vmToRootDisk, Duration timeout, Duration grace,
            Duration stallAfter) {
        Readiness readiness = new Readiness(namespace, vmToRootDisk, grace, stallAfter);
        List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();
        ScheduledExecutorService tick = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmbench-readiness");
            t.setDaemon(true);
            return t;
        });
        try {
            informers.add(readiness.watch(client, KubeVirt.VIRTUAL_MACHINE, selector, (vm, o) -> vm.vm = o,
                    o -> o.getMetadata().getName()));
            informers.add(readiness.watch(client, KubeVirt.DATA_VOLUME, selector, (vm, o) -> vm.dataVolume = o,
                    o -> readiness.vmOfRootDisk(o.getMetadata().getName())));
            informers.add(readiness.watch(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, selector, (vm, o) -> vm.vmi = o,
                    o -> o.getMetadata().getName()));
            tick.scheduleAtFixedRate(readiness::judge, 1, 1, TimeUnit.SECONDS);
            readiness.outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return readiness.phases();
        } catch (TimeoutException e) {
            throw new ProvisioningException("The VMs of the group were not Ready within " + timeout.toSeconds()
                    + "s: " + readiness.describeAll() + ". Fix: see the attached diagnostics; raise "
                    + "-Dvmbench.readyTimeout if the clone is merely slow.");
        } catch (ExecutionException e) {
            throw (ProvisioningException) e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProvisioningException("Interrupted while waiting for the VMs of the group");
        } finally {
            tick.shutdownNow();
            informers.forEach(SharedIndexInformer::close);
        }
    }

    private SharedIndexInformer<GenericKubernetesResource> watch(KubernetesClient client,
            io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext type, Map<String, String> selector,
            java.util.function.BiConsumer<Vm, GenericKubernetesResource> store,
            java.util.function.Function<GenericKubernetesResource, String> owner) {
        return KubeVirt.in(client, type, namespace).withLabels(selector).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource o) {
                seen(o);
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                seen(after);
            }

            @Override
            public void onDelete(GenericKubernetesResource o, boolean unknown) {
                seen(o);
            }

            private void seen(GenericKubernetesResource o) {
                Vm vm = vms.get(Objects.toString(owner.apply(o), ""));
                if (vm != null) {
                    store.accept(vm, o);
                    judge();
                }
            }
        });
    }

    private String vmOfRootDisk(String dataVolume) {
        return vms.values().stream().filter(v -> v.rootDisk.equals(dataVolume)).map(v -> v.name).findFirst()
                .orElse(null);
    }

    /** Decides, from what was last seen, whether the group is ready, failed, or still on its way. */
    private synchronized void judge() {
        if (outcome.isDone()) {
            return;
        }
        long now = (System.nanoTime() - start) / 1_000_000;
        boolean allReady = true;
        for (Vm v : vms.values()) {
            String printable = printableStatus(v.vm);
            String dvPhase = String.valueOf(status(v.dataVolume).getOrDefault("phase", ""));
            String vmiPhase = String.valueOf(status(v.vmi).getOrDefault("phase", ""));
            if (v.cloned < 0 && dvPhase.equals("Succeeded")) {
                v.cloned = now;
            }
            if (v.scheduled < 0 && (vmiPhase.equals("Scheduled") || vmiPhase.equals("Running"))) {
                v.scheduled = now;
            }
            ObservedState state = ObservedState.of("VirtualMachine", whole(v.vm), List.of());
            if (state.verdict() == ObservedState.Verdict.FAILED) {
                fail("VM " + namespace + "/" + v.name + " failed: [" + describe(v.vm) + "], a state KubeVirt does not "
                        + "leave by itself. Fix: see the attached diagnostics (events, DataVolume and VMI status).");
                return;
            }
            if (ObservedState.of("DataVolume", whole(v.dataVolume), List.of()).verdict()
                    == ObservedState.Verdict.FAILED) {
                fail("DataVolume " + namespace + "/" + v.rootDisk + " of VM " + v.name + " failed: ["
                        + conditions(v.dataVolume) + "] after " + status(v.dataVolume).getOrDefault("restartCount", 0)
                        + " restart(s). Fix: check the DataSource and the cloning StorageClass (the "
                        + "attached diagnostics hold the DataVolume and its events).");
                return;
            }
            if (vmiPhase.equals("Failed")) {
                fail("VMI " + namespace + "/" + v.name + " failed: [" + conditions(v.vmi) + "]. Fix: see the virt-launcher "
                        + "pod in the attached diagnostics.");
                return;
            }
            if (state.verdict() == ObservedState.Verdict.GRACE) {
                if (v.transientSince < 0) {
                    v.transientSince = now;
                } else if (now - v.transientSince > grace.toMillis()) {
                    Map<String, Object> failure = condition(v.vm, "Failure");
                    if ("True".equals(failure.get("status"))) {
                        // set on each sync error, cleared on the next success: this one stayed
                        fail("VM " + namespace + "/" + v.name + " reports Failure " + Objects.toString(failure.get(
                                "reason"), "") + ": " + Objects.toString(failure.get("message"), "") + " for more "
                                + "than " + grace.toSeconds() + "s (vmbench.transientGrace). Fix: KubeVirt could not "
                                + "start the VM as defined; see its events in the attached diagnostics.");
                        return;
                    }
                    String why = String.join("; ", java.util.stream.Stream.of(conditions(v.vm), conditions(v.vmi),
                            conditions(v.dataVolume)).filter(c -> !c.isEmpty()).toList());
                    fail("VM " + namespace + "/" + v.name + " stayed in [" + printable + "] for more than "
                            + grace.toSeconds() + "s (vmbench.transientGrace)" + (why.isEmpty() ? "" : ": " + why)
                            + ". Fix: " + transientFix(printable));
                    return;
                }
            } else {
                v.transientSince = -1;
            }
            // CSI, snapshot and populator clones report no progress ("N/A"): only a percentage can stand still
            String progress = String.valueOf(status(v.dataVolume).getOrDefault("progress", ""));
            if (dvPhase.endsWith("InProgress") && PERCENT.matcher(progress).matches()) {
                if (!progress.equals(v.progress) || !dvPhase.equals(v.progressPhase)) {
                    v.progress = progress;
                    v.progressPhase = dvPhase;
                    v.progressSince = now;
                } else if (now - v.progressSince > stallAfter.toMillis()) {
                    fail("The clone of DataVolume " + namespace + "/" + v.rootDisk + " (VM " + v.name + ") stalled at "
                            + progress + " for more than " + stallAfter.toSeconds() + "s (vmbench.cloneStallTimeout). Fix: "
                            + "check the CDI clone pods and the source PVC (attached diagnostics).");
                    return;
                }
            } else {
                v.progress = progress;
                v.progressPhase = dvPhase;
                v.progressSince = now;
            }
            if (ready(v.vm)) {
                if (v.ready < 0) {
                    v.ready = now;
                }
            } else {
                allReady = false;
            }
        }
        if (allReady) {
            outcome.complete(null);
        }
    }

    private void fail(String message) {
        outcome.completeExceptionally(new ProvisioningException(message));
    }

    private synchronized Map<String, Map<String, Long>> phases() {
        Map<String, Map<String, Long>> phases = new LinkedHashMap<>();
        for (Vm v : vms.values()) {
            Map<String, Long> times = new LinkedHashMap<>();
            long cloned = v.cloned < 0 ? 0 : v.cloned;
            long scheduled = v.scheduled < 0 ? cloned : v.scheduled;
            times.put("clone", cloned);
            times.put("schedule", Math.max(0, scheduled - cloned));
            times.put("boot", Math.max(0, v.ready - scheduled));
            phases.put(v.name, times);
        }
        return phases;
    }

    private synchronized String describeAll() {
        List<String> states = new ArrayList<>();
        vms.values().forEach(v -> states.add(v.name + " [" + describe(v.vm) + "; DataVolume "
                + status(v.dataVolume).getOrDefault("phase", "not seen") + " "
                + status(v.dataVolume).getOrDefault("progress", "") + ", restarts "
                + status(v.dataVolume).getOrDefault("restartCount", 0) + "]"));
        return String.join(", ", states);
    }

    /** The resource as the map a reading takes (its spec and status); empty when not seen. */
    private static Map<String, Object> whole(GenericKubernetesResource resource) {
        return resource == null ? Map.of() : resource.getAdditionalProperties();
    }

    static boolean ready(GenericKubernetesResource vm) {
        return vm != null && Boolean.TRUE.equals(status(vm).get("ready"));
    }

    static String printableStatus(GenericKubernetesResource vm) {
        return vm == null ? "not seen" : String.valueOf(status(vm).getOrDefault("printableStatus", "Unknown"));
    }

    /** {@code CrashLoopBackOff: Ready CrashLoopBackOff — …}: the printable status and the conditions that say why. */
    static String describe(GenericKubernetesResource vm) {
        String conditions = conditions(vm);
        return printableStatus(vm) + (conditions.isEmpty() ? "" : ": " + conditions);
    }

    private static String transientFix(String printable) {
        return switch (printable) {
            case "ErrorUnschedulable" -> "the scheduler cannot place the VM's pod (see its message): free capacity, "
                    + "fix node selectors, or — for unbound PersistentVolumeClaims — check the StorageClass's "
                    + "provisioner; raise -Dvmbench.transientGrace if it is merely slow.";
            case "ErrImagePull", "ImagePullBackOff" -> "the kubelet cannot pull the virt-launcher or container-disk "
                    + "image (see its message): check the registry and pull secrets.";
            case "ErrorPvcNotFound" -> "the VM's PVC does not exist: check that the data-disk PVC was created.";
            default -> "see the attached diagnostics (DataVolume conditions and events).";
        };
    }

    /** The condition of {@code type} in the resource's status, or an empty map. */
    private static Map<String, Object> condition(GenericKubernetesResource resource, String type) {
        if (status(resource).get("conditions") instanceof List<?> list) {
            for (Object c : list) {
                if (c instanceof Map<?, ?> condition && type.equals(condition.get("type"))) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> typed = (Map<String, Object>) condition;
                    return typed;
                }
            }
        }
        return Map.of();
    }

    private static String conditions(GenericKubernetesResource resource) {
        List<String> failing = new ArrayList<>();
        if (status(resource).get("conditions") instanceof List<?> list) {
            for (Object c : list) {
                if (c instanceof Map<?, ?> condition && "False".equals(condition.get("status"))
                        && condition.get("message") != null) {
                    failing.add(condition.get("type") + " " + Objects.toString(condition.get("reason"), "") + " — "
                            + condition.get("message"));
                }
            }
        }
        return String.join("; ", failing);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource resource) {
        Object status = resource == null ? null : resource.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }
}
