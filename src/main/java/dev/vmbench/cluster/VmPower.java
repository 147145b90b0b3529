package dev.vmbench.cluster;

import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.status;

import dev.vmbench.guest.GuestAgent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops and starts the VM a capability check works on, through its run strategy, and waits for what KubeVirt and CDI
 * wait for: stopped means no VMI and no virt-launcher pod mounting its claims (CDI starts no clone of a claim a pod
 * mounts); running means the VMI runs and cloud-init finished in the guest. A start KubeVirt's webhook refuses —
 * while a restore is in progress — is an answer, not an exception.
 */
final class VmPower {

    private static final Logger LOG = LoggerFactory.getLogger(VmPower.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final KubernetesClient client;
    private final String namespace;
    private final String vm;
    private final GuestAgent agent;
    private final Duration timeout;

    VmPower(KubernetesClient client, String namespace, String vm, GuestAgent agent, Duration timeout) {
        this.client = client;
        this.namespace = namespace;
        this.vm = vm;
        this.agent = agent;
        this.timeout = timeout;
    }

    boolean running() {
        return "Running".equals(String.valueOf(status(vmi()).get("phase")));
    }

    /**
     * Halts the VM and waits until its VMI and its virt-launcher pods are gone.
     *
     * @return empty once stopped, else what was still there after the timeout
     */
    Optional<String> stop() {
        runStrategy("Halted");
        try {
            Awaitility.await("VM " + vm + " stopped").atMost(timeout).pollInSameThread().pollInterval(POLL)
                    .until(() -> vmi() == null && launcherPods() == 0);
            return Optional.empty();
        } catch (ConditionTimeoutException e) {
            return Optional.of("VM " + vm + " did not stop within " + seconds(timeout) + " (runStrategy Halted): "
                    + (vmi() == null ? "" : "its VMI is still " + status(vmi()).getOrDefault("phase", "there") + ", ")
                    + launcherPods() + " virt-launcher pod(s) remain");
        }
    }

    /**
     * Sets runStrategy Always.
     *
     * @return empty when admitted, else the API server's answer (KubeVirt's webhook refuses a start while
     *         {@code status.restoreInProgress} is set: "Cannot start VM until restore … completes")
     */
    Optional<String> requestStart() {
        try {
            runStrategy("Always");
            return Optional.empty();
        } catch (KubernetesClientException e) {
            return Optional.of(Optional.ofNullable(e.getStatus()).map(s -> s.getMessage()).orElse(e.getMessage()));
        }
    }

    /**
     * Starts the VM and waits until its guest finished booting.
     *
     * @throws ProvisioningException when it cannot be started or does not come up within the timeout
     */
    void start(String after) {
        Optional<String> refused = requestStart();
        if (refused.isPresent()) {
            throw new ProvisioningException("VM " + vm + " could not be started again after " + after + ": "
                    + refused.get() + ". Fix: see the VM's status and events");
        }
        awaitGuest(after);
    }

    /** Waits until the VMI runs and the guest's cloud-init finished. */
    void awaitGuest(String after) {
        try {
            Awaitility.await("VMI of " + vm + " running").atMost(timeout).pollInSameThread().pollInterval(POLL)
                    .until(this::running);
        } catch (ConditionTimeoutException e) {
            throw new ProvisioningException("VM " + vm + " did not run again within " + seconds(timeout) + " after "
                    + after + " (vmbench.readyTimeout; VM " + Readiness.describe(vmResource()) + "). Fix: see the "
                    + "VM's events and its virt-launcher pod");
        }
        GuestAgent.CloudInit ready = agent.awaitCloudInit(timeout);
        if (!ready.finished()) {
            throw new ProvisioningException("VM " + vm + " came back after " + after + " but its guest did not "
                    + "finish booting within " + seconds(timeout) + ": " + ready.report());
        }
    }

    /**
     * Waits until no restore holds the VM ({@code status.restoreInProgress} cleared, as KubeVirt's restore
     * controller does when the restore completes or is deleted).
     *
     * @return empty once released, else the restore still holding it
     */
    Optional<String> awaitNoRestore() {
        try {
            Awaitility.await("VM " + vm + " released by its restore").atMost(timeout).pollInSameThread()
                    .pollInterval(POLL).until(() -> restoreInProgress().isEmpty());
            return Optional.empty();
        } catch (ConditionTimeoutException e) {
            return restoreInProgress();
        }
    }

    Optional<String> restoreInProgress() {
        return lock("restoreInProgress");
    }

    /**
     * Waits until no snapshot locks the VM ({@code status.snapshotInProgress} cleared once the snapshot finished or
     * was deleted); KubeVirt's webhook refuses every change of the VM's spec until then.
     *
     * @return empty once unlocked, else the snapshot still locking it
     */
    Optional<String> awaitNoSnapshot() {
        try {
            Awaitility.await("VM " + vm + " unlocked by its snapshot").atMost(timeout).pollInSameThread()
                    .pollInterval(POLL).until(() -> lock("snapshotInProgress").isEmpty());
            return Optional.empty();
        } catch (ConditionTimeoutException e) {
            return lock("snapshotInProgress");
        }
    }

    private Optional<String> lock(String field) {
        return Optional.ofNullable(status(vmResource()).get(field)).map(Object::toString);
    }

    private void runStrategy(String strategy) {
        if (strategy.equals(spec(vmResource()).get("runStrategy"))) {
            return;
        }
        LOG.info("VM {}: runStrategy {}", vm, strategy);
        // a merge patch of the one field: KubeVirt rewrites the VM's status all the time, and an edit carrying the
        // resourceVersion it read would be refused as a conflict
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, namespace).withName(vm).patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                "{\"spec\":{\"runStrategy\":\"" + strategy + "\"}}");
    }

    private GenericKubernetesResource vmi() {
        return KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, namespace).withName(vm).get();
    }

    private GenericKubernetesResource vmResource() {
        return KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, namespace).withName(vm).get();
    }

    private int launcherPods() {
        return client.pods().inNamespace(namespace).withLabel("kubevirt.io", "virt-launcher")
                .withLabel("vm.kubevirt.io/name", vm).list().getItems().size();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
