package dev.vmbench.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmbench.cluster.KubeVirt;
import dev.vmbench.embedded.EmbeddedCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The VMI portforward subresource answers as virt-api does (404 missing VMI, 400 no interface, 409 paused, 500
 * "dialing VM"), and the tunnel's message for each names the cause and the fix.
 */
class PortForwardAnswersTest {

    /** The Status message of an API answer. */
    private static final class SuiteRunJson {
        static String message(String body) throws java.io.IOException {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("message").asText();
        }
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing VMI   | 404 | virtualmachineinstances.kubevirt.io "vm-0" not found | the VMI does not exist
            no interface  | 400 | no network interfaces are present                     | the VMI has no network interface yet
            paused        | 409 | VMI is paused                                          | the VMI is paused
            port closed   | 500 | dialing VM: dial tcp 127.0.9.9:2222: connect: connection refused | virt-api could not dial
            """)
    void eachAnswerNamesItsCauseAndFix(String state, int code, String server, String meaning) throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir, "images", "fedora", 2222, List.of());
                KubernetesClient client = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client
                        .ConfigBuilder(cluster.clientConfig()).withRequestRetryBackoffLimit(0).build()).build();
                KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
            // given
            if (!state.equals("missing VMI")) {
                GenericKubernetesResource vmi = new GenericKubernetesResource();
                vmi.setApiVersion("kubevirt.io/v1");
                vmi.setKind("VirtualMachineInstance");
                vmi.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("vm-0")
                        .withNamespace("vmbench").build());
                KubeVirt.in(admin, KubeVirt.VIRTUAL_MACHINE_INSTANCE, "vmbench").resource(vmi).create();
                Map<String, Object> status = switch (state) {
                    case "paused" -> Map.of("phase", "Running", "interfaces", List.of(Map.of("ipAddress",
                            "127.0.9.9")), "conditions", List.of(Map.of("type", "Paused", "status", "True")));
                    case "port closed" -> Map.of("phase", "Running", "interfaces", List.of(Map.of("ipAddress",
                            "127.0.9.9")));
                    default -> Map.of("phase", "Scheduling");
                };
                GenericKubernetesResource stored = KubeVirt.in(admin, KubeVirt.VIRTUAL_MACHINE_INSTANCE, "vmbench")
                        .withName("vm-0").get();
                stored.setAdditionalProperty("status", status);
                KubeVirt.in(admin, KubeVirt.VIRTUAL_MACHINE_INSTANCE, "vmbench").resource(stored).updateStatus();
            }
            // then: the subresource answers with virt-api's status
            io.fabric8.kubernetes.client.http.HttpClient http = client.getHttpClient();
            String url = client.getMasterUrl() + "apis/subresources.kubevirt.io/v1/namespaces/vmbench/"
                    + "virtualmachineinstances/vm-0/portforward/2222";
            await("virt-api's answer for " + state).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                io.fabric8.kubernetes.client.http.HttpResponse<String> answer = http.sendAsync(http.newHttpRequestBuilder()
                        .uri(url).build(), String.class).get();
                assertThat(answer.code()).isEqualTo(code);
                assertThat(SuiteRunJson.message(answer.body())).contains(server);
            });
            try (GuestChannel tunnel = GuestChannel.open(GuestChannel.Kind.PORTFORWARD, client, "vmbench", "vm-0",
                    2222)) {
                // when: something connects to the tunnel's local end
                try (Socket socket = new Socket(tunnel.address().getAddress(), tunnel.address().getPort())) {
                    // then
                    await("the tunnel's answer").atMost(Duration.ofSeconds(20)).until(() -> tunnel.lastError().startsWith("HTTP"));
                    // and the harness names the cause and the fix
                    assertThat(tunnel.lastError()).startsWith("HTTP " + code + " from the portforward subresource — "
                            + meaning).contains("Fix: ");
                }
            }
        }
    }
}
