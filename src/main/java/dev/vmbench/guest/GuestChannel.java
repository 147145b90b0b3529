package dev.vmbench.guest;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A route from the harness to a VM's SSH port. Three kinds, chosen with {@code -Dvmbench.connector}:
 * <ul>
 *   <li>{@code portforward} (default): a websocket tunnel through the VMI {@code portforward} subresource of
 *   the Kubernetes API — works from anywhere the API server is reachable;</li>
 *   <li>{@code pod}: Kubernetes port-forward to the VM's virt-launcher pod — for clusters whose
 *   subresources API is blocked;</li>
 *   <li>{@code direct}: the VMI's pod-network address — when the harness runs inside the cluster.</li>
 * </ul>
 */
public interface GuestChannel extends AutoCloseable {

    /** The address an SSH client connects to. */
    InetSocketAddress address();

    /** The last reason the route failed, e.g. {@code HTTP 403 from …}; for readiness messages. */
    String lastError();

    @Override
    void close();

    /** How a channel is made; {@link #spelling()} is the configuration value. */
    enum Kind {
        PORTFORWARD, POD, DIRECT;

        public String spelling() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.spelling().equals(text.trim())) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("must be one of " + Arrays.stream(values()).map(Kind::spelling)
                    .collect(Collectors.joining(", ")));
        }
    }

    /**
     * Opens a channel of {@code kind} to {@code port} of VMI {@code namespace/name}.
     *
     * @param client a client that does not retry websocket handshakes (readiness decides what to retry)
     */
    static GuestChannel open(Kind kind, KubernetesClient client, String namespace, String name, int port) {
        return switch (kind) {
            case PORTFORWARD -> VmiTunnel.open(client, namespace, name, port);
            case POD -> PodTunnel.open(client, namespace, name, port);
            case DIRECT -> DirectRoute.open(client, namespace, name, port);
        };
    }
}
