package dev.vmbench.embedded;

import java.net.InetSocketAddress;

/**
 * What virt-api finds when asked to tunnel to a VMI's port (kubevirt {@code pkg/virt-api/rest/portforward.go},
 * {@code streamer.go}, {@code dialers.go}): the address to dial, or the Kubernetes status it answers instead —
 * 404 for a VMI that does not exist, 409 while it is paused, 400 while it has no network interface (not running).
 * A dial that fails is virt-api's 500 "dialing VM", decided when the dial is made.
 */
record PortForwardTarget(int code, String reason, String message, InetSocketAddress address) {

    static PortForwardTarget dial(InetSocketAddress address) {
        return new PortForwardTarget(0, "", "", address);
    }

    static PortForwardTarget refuse(int code, String reason, String message) {
        return new PortForwardTarget(code, reason, message, null);
    }

    boolean refused() {
        return code != 0;
    }
}
