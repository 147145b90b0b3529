package dev.vmbench.guest;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * A {@link GuestChannel} straight to the VMI's address on the pod network, from
 * {@code status.interfaces[0].ipAddress}: for a harness that runs inside the cluster.
 */
final class DirectRoute implements GuestChannel {

    private static final ResourceDefinitionContext VMI = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachineInstance")
            .withPlural("virtualmachineinstances").withNamespaced(true).build();

    private final InetSocketAddress address;

    private DirectRoute(InetSocketAddress address) {
        this.address = address;
    }

    static DirectRoute open(KubernetesClient client, String namespace, String name, int port) {
        GenericKubernetesResource vmi = client.genericKubernetesResources(VMI).inNamespace(namespace).withName(name).get();
        Object status = vmi == null ? null : vmi.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("interfaces") instanceof List<?> interfaces && !interfaces.isEmpty()
                && interfaces.get(0) instanceof Map<?, ?> first && first.get("ipAddress") != null) {
            return new DirectRoute(new InetSocketAddress(first.get("ipAddress").toString(), port));
        }
        throw new GuestException("VMI " + namespace + "/" + name + " reports no IP address in "
                + "status.interfaces, so the direct connector cannot reach it. Fix: use -Dvmbench.connector="
                + "portforward, or check the VM's network.");
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String lastError() {
        return "direct route to " + address;
    }

    @Override
    public void close() {
        // nothing is held open
    }
}
