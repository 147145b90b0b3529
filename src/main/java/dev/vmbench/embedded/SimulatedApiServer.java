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
import java.net.InetSocketAddress;
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

    private static final Pattern POD_PORT_FORWARD = Pattern.compile(
            "/api/v1/namespaces/([^/]+)/pods/([^/?]+)/portforward\\?ports=(\\d+)");

    /** What the harness's exec sends: bash -c with the guest script's bin on PATH, stdin perhaps as base64. */
    private static final Pattern GUEST_VERB = Pattern.compile("bash\u0000-c\u0000PATH=\"\\$\\{VMBENCH_BIN:-/opt/vmbench\\}"
            + ":\\$PATH\"; (printf '%s' '[A-Za-z0-9+/=]*' \\| base64 -d \\| )?vmbench-guest [a-z-]+( [A-Za-z0-9._:=+-]+)*");
    /** Whether an exec's command is one the harness sends: a verb of the guest script, and nothing else. */
    static boolean runsGuestVerb(List<String> command) {
        return GUEST_VERB.matcher(String.join("\u0000", command)).matches();
    }

    /** Creating a VirtualMachine in a namespace. */
    private static final Pattern VM_CREATE = Pattern.compile("/apis/kubevirt\\.io/v1/namespaces/([^/]+)"
            + "/virtualmachines(?:\\?.*)?");

    /** A VirtualMachine itself (not its status), which KubeVirt's VM webhook admits. */
    private static final Pattern VM = Pattern.compile("(/apis/kubevirt\\.io/v1/namespaces/[^/]+/virtualmachines/[^/?]+)"
            + "(?:\\?.*)?");

    private static final Pattern POD_EXEC = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/exec\\?(.*)");

    private static final Pattern POD_LOG = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/log");

    /** (namespace, VMI, port) → what virt-api would dial, or the status it would answer instead. */
    private final TriFunction vmiTarget;
    /** (namespace, virt-launcher pod) → the same, for Kubernetes port-forward to the pod. */
    private final BiFunction<String, String, Optional<InetSocketAddress>> podSsh;
    /** (namespace, virt-launcher pod) → its guest's serial console so far. */
    private final BiFunction<String, String, String> consoles;
    private final int guestPort;
    private final SimulatedRbac rbac;
    /** Runs the containers of the pods vmbench creates itself; set once the cluster is up. */
    private volatile SimulatedKubelet kubelet;
    private final boolean admissionDenies;
    private final boolean datasourceSaDenied;
    private final boolean gatesOff;
    private final boolean noKubeVirt;

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    SimulatedApiServer(List<CustomResourceDefinitionContext> types, int guestPort,
            TriFunction vmiTarget, BiFunction<String, String, Optional<InetSocketAddress>> podSsh,
            BiFunction<String, String, String> consoles, List<Fault> faults, SimulatedRbac rbac) {
        super(types);
        this.rbac = rbac;
        this.runToken = SimulatedRbac.newToken();
        this.adminToken = SimulatedRbac.newToken();
        this.noKubeVirt = faults.contains(Fault.NO_KUBEVIRT);
        this.admissionDenies = faults.contains(Fault.ADMISSION_DENIES);
        this.datasourceSaDenied = faults.contains(Fault.DATASOURCE_SA_DENIED);
        this.gatesOff = faults.contains(Fault.FEATURE_GATES_OFF);
        this.guestPort = guestPort;
        this.vmiTarget = vmiTarget;
        this.podSsh = podSsh;
        this.consoles = consoles;
    }

    /** The run's bearer token (RBAC-checked) and the simulator's own (unrestricted): random, this cluster's only. */
    private final String runToken;
    private final String adminToken;

    /** Whether a websocket's {@code Origin} is this server itself (as its {@code Host} header names it). */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        return java.util.List.of("http://" + host, "https://" + host)
                .contains(origin);
    }

    String runToken() {
        return runToken;
    }

    String adminToken() {
        return adminToken;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        // as an API server with authentication: a request without a token it knows is answered 401, never served
        boolean run = ("Bearer " + runToken).equals(request.getHeader("Authorization"));
        if (!run && !("Bearer " + adminToken).equals(request.getHeader("Authorization"))) {
            return status(401, "Unauthorized", "Unauthorized");
        }
        // a browser's page may open websockets to any local port: an upgrade from another origin than this server's
        // own (a client names the server itself, or nothing) is a page's, never a client's of this run
        String origin = request.getHeader("Origin");
        if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade")) && origin != null && !sameOrigin(origin,
                request.getHeader("Host"))) {
            return status(403, "Forbidden", "websocket upgrades from another origin (" + origin + ") are refused");
        }
        if (request.getPath().startsWith("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")) {
            return accessReview(request);
        }
        if (run) {
            Optional<SimulatedRbac.Attributes> asked = SimulatedRbac.of(request.getMethod(), request.getPath());
            if (asked.isPresent() && !rbac.allows(asked.get())) {
                return status(403, "Forbidden", SimulatedRbac.forbidden(asked.get()));
            }
        }
        if (request.getPath().matches("/api/v1/namespaces/[^/]+/pods/[^/]+/log\\?.*container=guest-console-log.*")) {
            // virt-launcher's guest-console-log container prints the serial console
            Matcher logOf = POD_LOG.matcher(request.getPath());
            String console = logOf.find() ? consoles.apply(logOf.group(1), logOf.group(2)) : "";
            Matcher tail = Pattern.compile("[?&]tailLines=(\\d+)").matcher(request.getPath());
            if (tail.find()) {
                // the kubelet's tailLines: the last N lines
                List<String> lines = console.lines().toList();
                int n = Integer.parseInt(tail.group(1));
                console = String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()))
                        + (lines.isEmpty() ? "" : "\n");
            }
            Matcher limit = Pattern.compile("[?&]limitBytes=(\\d+)").matcher(request.getPath());
            byte[] body = console.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (limit.find() && body.length > Long.parseLong(limit.group(1))) {
                // the kubelet's limitBytes: the first N bytes of what it would send (of the tail, with tailLines)
                body = java.util.Arrays.copyOf(body, Integer.parseInt(limit.group(1)));
            }
            return new MockResponse().setResponseCode(200).setBody(body);
        }
        if (noKubeVirt && request.getPath().startsWith("/apis/kubevirt.io/")) {
            return status(404, "NotFound", "the server could not find the requested resource");
        }
        if (admissionDenies && "POST".equals(request.getMethod()) && request.getPath().contains("/virtualmachines")) {
            return status(422, "Invalid", "admission webhook 'virtualmachine-validator.kubevirt.io' denied the "
                    + "request: spec.template.spec.domain.devices.blockMultiQueue is not allowed by the cluster policy");
        }
        Matcher vmUpdate = VM.matcher(request.getPath());
        if (vmUpdate.matches() && List.of("PUT", "PATCH").contains(request.getMethod())) {
            // read without consuming: the CRUD dispatcher reads the body again
            String body = new String(request.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8);
            Optional<String> denied = storedVm(vmUpdate.group(1)).flatMap(stored -> VmAdmission.denial(stored,
                    request.getMethod(), request.getHeader("Content-Type"), body));
            if (denied.isPresent()) {
                return status(422, "Invalid", denied.get());
            }
        }
        if (gatesOff && "POST".equals(request.getMethod()) && request.getPath().matches(
                "/apis/snapshot\\.kubevirt\\.io/v1beta1/namespaces/[^/]+/virtualmachinesnapshots(\\?.*)?")) {
            // vmsnapshot-admitter.go: without the Snapshot gate every snapshot is refused
            return status(422, "Invalid", "admission webhook \"virtualmachinesnapshot-validator.snapshot.kubevirt.io\" "
                    + "denied the request: snapshot feature gate not enabled");
        }
        Matcher vmCreate = VM_CREATE.matcher(request.getPath());
        if (datasourceSaDenied && "POST".equals(request.getMethod()) && vmCreate.matches()) {
            // KubeVirt authorizes a VM's DataVolume templates for the VM's ServiceAccount (vms-admitter.go
            // authorizeVirtualMachineSpec; CDI's AuthorizeSA), which here may not clone from the source namespace
            String body = new String(request.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String source = "";
            try {
                source = JSON.readTree(body).path("spec").path("dataVolumeTemplates").path(0).path("spec")
                        .path("sourceRef").path("namespace").asText("");
            } catch (IOException e) {
                // no namespace to name
            }
            return status(422, "Invalid", "admission webhook \"virtualmachine-validator.kubevirt.io\" denied the "
                    + "request: Authorization failed, message is: User system:serviceaccount:" + vmCreate.group(1)
                    + ":default has insufficient permissions in clone source namespace " + source);
        }
        if ("POST".equals(request.getMethod()) && request.getPath().contains("dryRun=All")) {
            // admitted, not stored: what a real API server does with a server-side dry run
            return new MockResponse().setResponseCode(201).setBody(request.getUtf8Body());
        }
        Matcher vmi = PORT_FORWARD.matcher(request.getPath());
        if (vmi.matches()) {
            PortForwardTarget target = vmiTarget.apply(vmi.group(1), vmi.group(2), Integer.parseInt(vmi.group(3)));
            if (target.refused()) {
                return status(target.code(), target.reason(), target.message());
            }
            return dial(target.address(), -1, vmi.group(1) + "/" + vmi.group(2));
        }
        Matcher exec = POD_EXEC.matcher(request.getPath());
        if (exec.matches()) {
            return exec(exec.group(1), exec.group(2), exec.group(3));
        }
        Matcher pod = POD_PORT_FORWARD.matcher(request.getPath());
        if (pod.matches()) {
            return relay(pod.group(3), podSsh.apply(pod.group(1), pod.group(2)), "pod " + pod.group(2), true);
        }
        return super.dispatch(request);
    }

    /** The VM as stored now, read in-process (a request to this server from inside its dispatch would wait on it). */
    private Optional<com.fasterxml.jackson.databind.JsonNode> storedVm(String path) {
        MockResponse stored = handleGet(path);
        if (stored.code() != 200) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(stored.getBody().readUtf8()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void kubelet(SimulatedKubelet kubelet) {
        this.kubelet = kubelet;
    }

    /**
     * The exec subresource as the kubelet's streaming server answers it over a websocket
     * ({@code v4.channel.k8s.io}, kubernetes {@code pkg/kubelet/cri/streaming/remotecommand/websocket.go}): each frame
     * starts with its channel (1 stdout, 2 stderr, 3 error); the error channel carries a Status at the end — Success,
     * or Failure with reason NonZeroExitCode and the exit code as an ExitCode cause ({@code httpstream.go}).
     */
    private MockResponse exec(String namespace, String pod, String query) {
        SimulatedKubelet k = kubelet;
        Optional<SimulatedKubelet.Container> container = k == null ? Optional.empty() : k.container(namespace, pod);
        if (container.isEmpty()) {
            return status(400, "BadRequest", "pod " + pod + " is not running (or does not exist), so nothing can be "
                    + "executed in it");
        }
        List<String> command = new java.util.ArrayList<>();
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            if (kv[0].equals("command") && kv.length == 2) {
                command.add(java.net.URLDecoder.decode(kv[1], java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        if (command.isEmpty()) {
            return status(400, "BadRequest", "you must specify at least 1 command");
        }
        // the embedded kubelet runs real processes on this machine: a pod of the run runs the guest script's verbs
        // as the harness sends them, and nothing else
        if (!runsGuestVerb(command)) {
            return status(403, "Forbidden", "the embedded cluster's pods run only vmbench-guest's verbs, not "
                    + command);
        }
        ProcessBuilder process = new ProcessBuilder(command).directory(container.get().root().toFile());
        process.environment().putAll(container.get().env());
        return new MockResponse().withWebSocketUpgrade(new ExecRelay(process));
    }

    private MockResponse relay(String port, Optional<InetSocketAddress> sshd, String target, boolean channels) {
        if (!String.valueOf(guestPort).equals(port)) {
            return status(400, "BadRequest", "only port " + guestPort + " is served by sandbox guests");
        }
        if (sshd.isEmpty()) {
            return status(409, "Conflict", target + " is not running");
        }
        return dial(sshd.get(), channels ? guestPort : -1, null);
    }

    /** The portforward tunnels open now, by namespace/VMI: what a live migration leaves behind. */
    private final java.util.Map<String, java.util.Set<Relay>> tunnels = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A live migration's switch-over: virt-api's connections to the VMI went to the source pod's address, and with
     * the source pod its network namespace goes — those connections fall silent (no reset, no close): bytes either
     * way are dropped. New tunnels dial the VMI's address after the migration, the target's.
     */
    void silenceTunnels(String namespace, String vmi) {
        java.util.Set<Relay> open = tunnels.remove(namespace + "/" + vmi);
        if (open != null) {
            open.forEach(Relay::silence);
        }
    }

    /**
     * While a VMI migrates its source may go away under the tunnels (a QEMU source exits after the switch-over):
     * those tunnels then fall silent instead of closing.
     */
    void migrating(String namespace, String vmi, boolean migrating) {
        tunnels.getOrDefault(namespace + "/" + vmi, java.util.Set.of()).forEach(r -> r.silentOnEnd = migrating);
    }

    /** virt-api dials the VMI's address; a refused dial is its 500 "dialing VM" (dialers.go). */
    private MockResponse dial(InetSocketAddress address, int channelPort, String vmi) {
        Socket socket;
        try {
            socket = new Socket(address.getAddress(), address.getPort());
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            return status(500, "InternalError", "Internal error occurred: dialing VM: dial tcp "
                    + address.getAddress().getHostAddress() + ":" + address.getPort() + ": connect: connection refused");
        }
        Relay relay = new Relay(socket, channelPort);
        if (vmi != null) {
            tunnels.computeIfAbsent(vmi, k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(relay);
        }
        return new MockResponse().withWebSocketUpgrade(relay);
    }

    /** (namespace, VMI, port) → target. */
    @FunctionalInterface
    interface TriFunction {
        PortForwardTarget apply(String namespace, String vmi, int port);
    }

    /**
     * Watches open now (every client's): a watch left open by a wait that gave up is a leak. Read from the CRUD
     * dispatcher's own registry of watch listeners (it adds one per open watch and drops it when the watch closes),
     * so the watch path itself is left exactly as the mock server runs it.
     */
    int openWatches() {
        try {
            java.lang.reflect.Field registry = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
            registry.setAccessible(true);
            return ((java.util.Collection<?>) registry.get(this)).size();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this fabric8 mock server keeps no watchEventListeners to count", e);
        }
    }

    /** A SelfSubjectAccessReview, answered from the same rules the requests are checked against. */
    private MockResponse accessReview(RecordedRequest request) {
        try {
            com.fasterxml.jackson.databind.node.ObjectNode review =
                    (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(request.getUtf8Body());
            com.fasterxml.jackson.databind.JsonNode a = review.path("spec").path("resourceAttributes");
            String namespace = a.path("namespace").asText("");
            boolean run = ("Bearer " + runToken).equals(request.getHeader("Authorization"));
            boolean allowed = !run || rbac.allows(new SimulatedRbac.Attributes(a.path("verb").asText(),
                    a.path("group").asText(""), a.path("resource").asText(), a.path("subresource").asText(""),
                    namespace.isEmpty() ? null : namespace, a.path("name").asText("")));
            review.putObject("status").put("allowed", allowed);
            return new MockResponse().setResponseCode(201).setBody(JSON.writeValueAsString(review));
        } catch (IOException e) {
            return status(400, "BadRequest", "unreadable SelfSubjectAccessReview: " + e.getMessage());
        }
    }

    private static MockResponse status(int code, String reason, String message) {
        com.fasterxml.jackson.databind.node.ObjectNode status = JSON.createObjectNode().put("kind", "Status")
                .put("apiVersion", "v1").put("status", "Failure").put("reason", reason).put("code", code)
                .put("message", message);
        return new MockResponse().setResponseCode(code).setBody(status.toString());
    }

    /** A command's stdout and stderr out as channel frames, then its exit as a Status on the error channel. */
    private static final class ExecRelay extends WebSocketListener {
        private final ProcessBuilder builder;

        ExecRelay(ProcessBuilder builder) {
            this.builder = builder;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            Thread runner = new Thread(() -> {
                com.fasterxml.jackson.databind.node.ObjectNode status = JSON.createObjectNode();
                status.putObject("metadata");
                try {
                    Process process = builder.start();
                    process.getOutputStream().close();
                    Thread err = pump(process.getErrorStream(), ws, 2);
                    pump(process.getInputStream(), ws, 1).join();
                    err.join();
                    int code = process.waitFor();
                    if (code == 0) {
                        status.put("status", "Success");
                    } else {
                        status.put("status", "Failure").put("message", "command terminated with non-zero exit code: "
                                + "error executing command " + builder.command() + ", exit code " + code)
                                .put("reason", "NonZeroExitCode").putObject("details").putArray("causes").addObject()
                                .put("reason", "ExitCode").put("message", String.valueOf(code));
                    }
                } catch (IOException e) {
                    status.put("status", "Failure").put("message", String.valueOf(e.getMessage()))
                            .put("reason", "InternalError");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                byte[] json = status.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                byte[] frame = new byte[json.length + 1];
                frame[0] = 3;
                System.arraycopy(json, 0, frame, 1, json.length);
                ws.send(frame);
                ws.close(1000, "");
            }, "portforward-relay-exec");
            runner.setDaemon(true);
            runner.start();
        }

        private static Thread pump(InputStream from, WebSocket ws, int channel) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (from) {
                    int n;
                    while ((n = from.read(buffer, 1, buffer.length - 1)) >= 0) {
                        buffer[0] = (byte) channel;
                        ws.send(Arrays.copyOf(buffer, n + 1));
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "portforward-relay-exec-" + channel);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    /**
     * Frames in → socket; socket → frames out. KubeVirt's portforward frames are raw bytes; Kubernetes pod
     * port-forward prefixes each frame with its channel (0 data, 1 error) and opens both channels with the port.
     */
    private static final class Relay extends WebSocketListener {
        private final Socket socket;
        private final int channelPort;
        /** Set by a migration's switch-over: nothing is relayed any more, and nothing is closed. */
        private volatile boolean silent;
        /** Set while its VMI migrates: the source's end of the connection closing silences the tunnel. */
        private volatile boolean silentOnEnd;

        void silence() {
            silent = true;
            closeSocket();
        }

        Relay(Socket socket, int channelPort) {
            this.socket = socket;
            this.channelPort = channelPort;
        }

        @Override
        public void onOpen(WebSocket ws, Response response) {
            if (channelPort >= 0) {
                ws.send(new byte[] {0, (byte) channelPort, (byte) (channelPort >> 8)});
                ws.send(new byte[] {1, (byte) channelPort, (byte) (channelPort >> 8)});
            }
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                int skip = channelPort >= 0 ? 1 : 0;
                try (InputStream in = socket.getInputStream()) {
                    int n;
                    while ((n = in.read(buffer, skip, buffer.length - skip)) >= 0 && !silent) {
                        ws.send(Arrays.copyOf(buffer, n + skip));
                    }
                } catch (IOException ignored) {
                    // the guest side closed
                }
                if (silentOnEnd) {
                    silent = true;
                }
                if (!silent) {
                    ws.close(1000, "guest closed");
                }
            }, "portforward-relay");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void onMessage(WebSocket ws, byte[] bytes) {
            if (silent) {
                return;
            }
            try {
                OutputStream out = socket.getOutputStream();
                int skip = channelPort >= 0 ? 1 : 0;
                out.write(bytes, skip, bytes.length - skip);
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
