package dev.vmbench.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Waits for a VM to report Ready by watching it (no polling), and fails at once when KubeVirt reports a
 * state it does not leave by itself.
 */
final class Readiness {

    /** VM printableStatus values that need a human: failing fast beats waiting out the deadline. */
    static final Set<String> TERMINAL = Set.of("ErrorUnschedulable", "ErrImagePull", "ImagePullBackOff",
            "CrashLoopBackOff", "ErrorPvcNotFound", "ErrorDataVolumeNotFound", "DataVolumeError");

    private Readiness() {
    }

    static void awaitRunning(KubernetesClient client, String namespace, String vm, Duration timeout) {
        AtomicReference<GenericKubernetesResource> last = new AtomicReference<>();
        try {
            KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, namespace).withName(vm).waitUntilCondition(o -> {
                if (o == null) {
                    return false;
                }
                last.set(o);
                return ready(o) || TERMINAL.contains(printableStatus(o));
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            throw new ProvisioningException("VM " + namespace + "/" + vm + " was not Ready within "
                    + timeout.toSeconds() + "s; its last status was [" + describe(last.get()) + "]. Fix: see the "
                    + "attached diagnostics; raise -Dvmbench.readyTimeout if the clone is merely slow.");
        }
        GenericKubernetesResource seen = last.get();
        if (!ready(seen)) {
            throw new ProvisioningException("VM " + namespace + "/" + vm + " failed: [" + describe(seen)
                    + "], a state KubeVirt does not leave by itself. Fix: see the attached diagnostics "
                    + "(events, DataVolume and VMI status).");
        }
    }

    static boolean ready(GenericKubernetesResource vm) {
        return vm != null && Boolean.TRUE.equals(status(vm).get("ready"));
    }

    static String printableStatus(GenericKubernetesResource vm) {
        return String.valueOf(status(vm).getOrDefault("printableStatus", "Unknown"));
    }

    /** {@code ErrorUnschedulable: 0/3 nodes are available…} from printableStatus and the failing condition. */
    static String describe(GenericKubernetesResource vm) {
        if (vm == null) {
            return "not found";
        }
        StringBuilder text = new StringBuilder(printableStatus(vm));
        Object conditions = status(vm).get("conditions");
        if (conditions instanceof List<?> list) {
            for (Object c : list) {
                if (c instanceof Map<?, ?> condition && "False".equals(condition.get("status"))
                        && condition.get("message") != null) {
                    text.append(": ").append(condition.get("type")).append(" ")
                            .append(Objects.toString(condition.get("reason"), "")).append(" — ")
                            .append(condition.get("message"));
                }
            }
        }
        return text.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(GenericKubernetesResource vm) {
        Object status = vm.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }
}
