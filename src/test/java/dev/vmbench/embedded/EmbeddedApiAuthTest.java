package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded cluster's API answers only this run: a request without its credentials — or with a guessable constant
 * — is refused 401, and a websocket upgrade from a web page (it carries an Origin) is refused, so neither another
 * local account nor a page in the developer's browser can use the running cluster.
 */
class EmbeddedApiAuthTest {

    @TempDir
    Path dir;

    private EmbeddedCluster cluster;

    @BeforeEach
    void start() {
        cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** The status line of a raw HTTP request to the cluster's API: what anyone on this machine can send. */
    private String statusOf(String path, String... headers) throws IOException {
        URI api = URI.create(cluster.clientConfig().getMasterUrl());
        try (Socket socket = new Socket(api.getHost(), api.getPort())) {
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + api.getHost() + ":"
                    + api.getPort() + "\r\n");
            for (String header : headers) {
                request.append(header).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString().trim();
        }
    }

    @Test
    void aRequestWithoutTheRunsCredentialsIsUnauthorized() throws IOException {
        Config run = cluster.clientConfig();

        assertThat(statusOf("/apis/storage.k8s.io/v1/storageclasses")).isEqualTo("HTTP/1.1 401 Unauthorized");
        assertThat(statusOf("/apis/storage.k8s.io/v1/storageclasses", "Authorization: Bearer vmbench-run"))
                .as("the constant token of earlier versions").isEqualTo("HTTP/1.1 401 Unauthorized");
        assertThat(statusOf("/apis/storage.k8s.io/v1/storageclasses", "Authorization: Bearer " + run.getOauthToken()))
                .isEqualTo("HTTP/1.1 200 OK");
        assertThat(run.getOauthToken()).hasSize(64).isNotEqualTo(cluster.adminConfig().getOauthToken());
    }

    @Test
    void aWebsocketUpgradeFromAWebPageIsRefusedEvenWithTheToken() throws IOException {
        String token = "Authorization: Bearer " + cluster.clientConfig().getOauthToken();
        String[] upgrade = {"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="};
        String path = "/apis/subresources.kubevirt.io/v1/namespaces/vmbench/virtualmachineinstances/vm-0/portforward/22";

        String[] fromPage = {token, upgrade[0], upgrade[1], upgrade[2], upgrade[3], "Origin: http://evil.example"};
        assertThat(statusOf(path, fromPage)).isEqualTo("HTTP/1.1 403 Forbidden");
        String[] anonymous = {upgrade[0], upgrade[1], upgrade[2], upgrade[3]};
        assertThat(statusOf(path, anonymous)).isEqualTo("HTTP/1.1 401 Unauthorized");
        // an exec from outside the run, into any pod
        assertThat(statusOf("/api/v1/namespaces/vmbench/pods/p/exec?command=id&stdout=true", anonymous))
                .isEqualTo("HTTP/1.1 401 Unauthorized");
    }

    @Test
    void aPodRunsOnlyTheGuestScriptsVerbsAndItsFilesStayInItsFolder(@TempDir Path pod) {
        String path = "PATH=\"${VMBENCH_BIN:-/opt/vmbench}:$PATH\"; ";
        // what the harness sends
        assertThat(SimulatedApiServer.runsGuestVerb(List.of("bash", "-c", path + "vmbench-guest start --at 1700000000.25")))
                .isTrue();
        assertThat(SimulatedApiServer.runsGuestVerb(List.of("bash", "-c", path + "printf '%s' 'W2ddCg==' | base64 -d | "
                + "vmbench-guest install-job --prefill"))).isTrue();
        // and what it never sends
        assertThat(SimulatedApiServer.runsGuestVerb(List.of("sh", "-c", "id"))).isFalse();
        assertThat(SimulatedApiServer.runsGuestVerb(List.of("bash", "-c", path + "vmbench-guest status; rm -rf ~")))
                .isFalse();
        assertThat(SimulatedApiServer.runsGuestVerb(List.of("bash", "-c", path + "vmbench-guest status $(id)")))
                .isFalse();
        // a mount path or Secret key may not lead out of the pod's folder
        assertThat(SimulatedKubelet.inside(pod, "/opt/vmbench", "mount path")).isEqualTo(pod.resolve("opt/vmbench"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SimulatedKubelet.inside(pod, "/../../etc", "mount path"))
                .hasMessage("mount path [/../../etc] is not an absolute path inside the container");
        // and a sandbox's cloud-init write_files stops at its root, as ".." does at "/" in any guest
        org.assertj.core.api.Assertions.assertThatCode(() -> SandboxCloudInit.writeFiles(pod,
                new com.fasterxml.jackson.databind.ObjectMapper().readTree("[{\"path\": \"/../../escaped\", "
                        + "\"content\": \"x\"}]"))).doesNotThrowAnyException();
        assertThat(pod.getParent().resolve("escaped")).doesNotExist();
        assertThat(pod.resolve("escaped")).hasContent("x");
    }
}
