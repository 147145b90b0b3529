package dev.vmbench.embedded;

import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The embedded cluster's API server: fabric8's CRUD mock for every resource, plus KubeVirt's VMI
 * {@code portforward} subresource, answered like virt-api does — a websocket whose binary frames are the raw
 * bytes of a TCP connection to the guest's port (here, the sandbox guest's sshd).
 */
final class SimulatedApiServer extends KubernetesCrudDispatcher {

    private static final Pattern PORT_FORWARD = Pattern.compile(
            "/apis/subresources\\.kubevirt\\.io/v1/namespaces/([^/]+)/virtualmachineinstances/([^/]+)"
                    + "/portforward/(\\d+)(?:/(?:tcp|udp))?(?:\\?.*)?");

    /** (namespace, VMI) → the loopback port that plays the guest's port 22, if the VMI runs. */
    private final BiFunction<String, String, Optional<Integer>> guestSsh;

    SimulatedApiServer(List<CustomResourceDefinitionContext> types,
            BiFunction<String, String, Optional<Integer>> guestSsh) {
        super(types);
        this.guestSsh = guestSsh;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher m = PORT_FORWARD.matcher(request.getPath());
        if (!m.matches()) {
            return super.dispatch(request);
        }
        if (!"22".equals(m.group(3))) {
            return status(400, "BadRequest", "only port 22 is served by sandbox guests");
        }
        Optional<Integer> port = guestSsh.apply(m.group(1), m.group(2));
        if (port.isEmpty()) {
            return status(409, "Conflict", "VirtualMachineInstance " + m.group(2) + " is not running");
        }
        Socket socket;
        try {
            socket = new Socket(InetAddress.getLoopbackAddress(), port.get());
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            return status(500, "InternalError", "dialing VM: " + e.getMessage());
        }
        return new MockResponse().withWebSocketUpgrade(new Relay(socket));
    }

    private static MockResponse status(int code, String reason, String message) {
        return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                + "\"status\":\"Failure\",\"reason\":\"" + reason + "\",\"code\":" + code + ",\"message\":\""
                + message.replace("\"", "'") + "\"}");
    }

    /** Frames in → socket; socket → frames out. */
    private static final class Relay extends WebSocketListener {
        private final Socket socket;

        Relay(Socket socket) {
            this.socket = socket;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = socket.getInputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        ws.send(Arrays.copyOf(buffer, n));
                    }
                } catch (IOException ignored) {
                    // the guest side closed
                }
                ws.close(1000, "guest closed");
            }, "portforward-relay");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void onMessage(WebSocket ws, byte[] bytes) {
            try {
                OutputStream out = socket.getOutputStream();
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                ws.close(1011, "guest connection failed");
            }
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            closeSocket();
        }

        @Override
        public void onClosed(WebSocket ws, int code, String reason) {
            closeSocket();
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, Response response) {
            closeSocket();
        }

        private void closeSocket() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // gone already
            }
        }
    }
}
