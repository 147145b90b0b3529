package dev.vmbench.guest;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@link GuestChannel} through Kubernetes port-forward to the VM's virt-launcher pod (label
 * {@code vm.kubevirt.io/name}), the fallback where the VMI subresources API is not reachable.
 */
final class PodTunnel implements GuestChannel {

    static final String VM_LABEL = "vm.kubevirt.io/name";

    private final String pod;
    private final LocalPortForward forward;

    private PodTunnel(String pod, LocalPortForward forward) {
        this.pod = pod;
        this.forward = forward;
    }

    static PodTunnel open(KubernetesClient client, String namespace, String vm, int port) {
        List<Pod> pods = client.pods().inNamespace(namespace).withLabel("kubevirt.io", "virt-launcher")
                .withLabel(VM_LABEL, vm).list().getItems().stream()
                .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).toList();
        if (pods.isEmpty()) {
            throw new GuestException("No running virt-launcher pod carries " + VM_LABEL + "=" + vm + " in " + namespace
                    + ", so the pod connector has nothing to forward to. Fix: use -Dvmbench.connector=portforward.");
        }
        String pod = pods.get(0).getMetadata().getName();
        return new PodTunnel(pod, client.pods().inNamespace(namespace).withName(pod).portForward(port));
    }

    @Override
    public InetSocketAddress address() {
        return new InetSocketAddress(forward.getLocalAddress(), forward.getLocalPort());
    }

    @Override
    public String lastError() {
        return Stream.concat(forward.getClientThrowables().stream(), forward.getServerThrowables().stream())
                .reduce((first, second) -> second).map(t -> "pod " + pod + ": " + t.getMessage())
                .orElse("none from pod " + pod);
    }

    @Override
    public void close() {
        try {
            forward.close();
        } catch (IOException ignored) {
            // the forward is gone either way
        }
    }
}
