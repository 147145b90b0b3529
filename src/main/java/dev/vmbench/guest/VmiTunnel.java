package dev.vmbench.guest;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.WebSocket;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link GuestChannel}: a loopback TCP port that tunnels to a port inside a VM through the VMI
 * {@code portforward} subresource of the Kubernetes API (the path {@code virtctl port-forward} uses). Every
 * accepted connection becomes one websocket carrying raw bytes. No virtctl, oc or kubectl is involved, and
 * nothing beyond the API server needs to be reachable.
 */
final class VmiTunnel implements GuestChannel {

    private static final Logger LOG = LoggerFactory.getLogger(VmiTunnel.class);
    /** KubeVirt's raw-bytes subprotocol. Servers that do not negotiate it still accept the handshake. */
    static final String SUBPROTOCOL = "plain.kubevirt.io";
    private static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;

    private final HttpClient http;
    private final URI target;
    private final String description;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile String lastError = "none yet";
    /** Cleared when the server answers without a subprotocol (fabric8's mock server does; virt-api does not). */
    private volatile boolean offerSubprotocol = true;

    private VmiTunnel(HttpClient http, URI target, String description) throws IOException {
        this.http = http;
        this.target = target;
        this.description = description;
        this.listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "vmbench-tunnel-" + description);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static VmiTunnel open(KubernetesClient client, String namespace, String name, int port) {
        URI uri = URI.create(client.getMasterUrl().toString().replaceFirst("/$", "")
                + "/apis/subresources.kubevirt.io/v1/namespaces/" + namespace + "/virtualmachineinstances/"
                + name + "/portforward/" + port + "/tcp");
        try {
            return new VmiTunnel(client.getHttpClient(), WebSocket.toWebSocketUri(uri), namespace + "/" + name);
        } catch (IOException e) {
            throw new GuestException("Cannot open a loopback port to tunnel to VMI " + namespace + "/" + name
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InetSocketAddress address() {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    @Override
    public String lastError() {
        return lastError;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                open.add(socket);
                bridge(socket);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    LOG.warn("Tunnel listener for {} failed: {}", description, e.getMessage());
                }
            }
        }
    }

    private void bridge(Socket socket) {
        WebSocket.Builder builder = http.newWebSocketBuilder().uri(target).connectTimeout(30, TimeUnit.SECONDS);
        boolean offered = offerSubprotocol;
        if (offered) {
            builder.subprotocol(SUBPROTOCOL);
        }
        builder.buildAsync(new Relay(socket))
                .whenComplete((ws, error) -> {
                    if (error != null && offered && String.valueOf(describe(error)).contains("subprotocol")) {
                        LOG.debug("{} does not negotiate {}; tunnelling without it", target.getHost(), SUBPROTOCOL);
                        offerSubprotocol = false;
                        bridge(socket);
                    } else if (error != null) {
                        lastError = describe(error);
                        LOG.debug("Tunnel to {} not opened: {}", description, lastError);
                        closeQuietly(socket);
                    } else {
                        Thread pump = new Thread(() -> pumpToWebSocket(socket, ws), "vmbench-pump-" + description);
                        pump.setDaemon(true);
                        pump.start();
                    }
                });
    }

    private void pumpToWebSocket(Socket socket, WebSocket ws) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = socket.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                // the websocket queues without bound: hold the reader while the queue drains
                while (ws.queueSize() > MAX_QUEUED_BYTES) {
                    LockSupport.parkNanos(1_000_000);
                }
                ws.send(ByteBuffer.wrap(buffer.clone(), 0, n));
            }
            ws.sendClose(1000, "client closed");
        } catch (IOException e) {
            ws.sendClose(1000, "client connection ended");
        } finally {
            closeQuietly(socket);
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof WebSocketHandshakeException handshake) {
            // the upgrade response's body (the Status message) is not kept by the client: the code says enough
            int code = handshake.getResponse().code();
            return "HTTP " + code + " from the portforward subresource" + meaning(code);
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** What virt-api means by each answer of its portforward subresource (pkg/virt-api/rest), and the fix. */
    static String meaning(int code) {
        return switch (code) {
            case 404 -> " — the VMI does not exist (deleted, or replaced and not created again yet). Fix: see the VM's "
                    + "status and events in the diagnostics.";
            case 400 -> " — the VMI has no network interface yet, so it is not running (virt-api tunnels to the VMI's "
                    + "first interface). Fix: wait for it to run; a VM needs a pod network interface (masquerade) to be "
                    + "reached.";
            case 409 -> " — the VMI is paused (KubeVirt pauses a VM on I/O errors, or someone paused it). Fix: see the "
                    + "VMI's Paused condition; unpause it (virtctl unpause vm NAME) once the cause is gone.";
            case 500 -> " — virt-api could not dial the guest's port: nothing listens there yet (sshd starts during "
                    + "cloud-init). Fix: wait; if it lasts, check sshd in the guest's serial console log.";
            case 403 -> " — the run's identity may not use the portforward subresource. Fix: grant 'get' on "
                    + "virtualmachineinstances/portforward (docs/rbac.md).";
            default -> "";
        };
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        open.forEach(this::closeQuietly);
    }

    @Override
    public String toString() {
        return "VmiTunnel[" + description + " via " + address() + "]";
    }

    /** Websocket → socket direction. */
    private final class Relay implements WebSocket.Listener {
        private final Socket socket;
        private final OutputStream out;

        Relay(Socket socket) {
            this.socket = socket;
            try {
                this.out = socket.getOutputStream();
            } catch (IOException e) {
                throw new GuestException("Tunnel socket closed before use: " + e.getMessage(), e);
            }
        }

        @Override
        public void onOpen(WebSocket ws) {
            ws.request();
        }

        @Override
        public void onMessage(WebSocket ws, ByteBuffer bytes) {
            try {
                byte[] chunk = new byte[bytes.remaining()];
                bytes.get(chunk);
                out.write(chunk);
                out.flush();
                ws.request();
            } catch (IOException e) {
                ws.sendClose(1000, "client connection ended");
                closeQuietly(socket);
            }
        }

        @Override
        public void onClose(WebSocket ws, int code, String reason) {
            closeQuietly(socket);
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            lastError = describe(error);
            closeQuietly(socket);
        }
    }
}
