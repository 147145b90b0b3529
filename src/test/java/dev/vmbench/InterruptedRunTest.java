package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.vmbench.cluster.KubeVirt;
import dev.vmbench.embedded.EmbeddedCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped with SIGTERM (as Ctrl+C or a CI timeout would) leaves nothing behind: the suite runs in a JVM of
 * its own against a standalone embedded cluster reached through a kubeconfig — the real-cluster path — and is
 * killed while fio runs.
 */
class InterruptedRunTest {

    private static final String MANAGED = "app.kubernetes.io/managed-by";

    @TempDir
    Path dir;

    @Test
    void sigtermMidRunDeletesEveryLabelledResource() throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("sandboxes"), "images", "fedora", 2222,
                List.of()); KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(cluster.clientConfig()).build()) {
            // given: the suite, in another JVM, running fio on two VMs of the standalone cluster
            Path kubeconfig = cluster.writeKubeconfig(dir.resolve("kubeconfig"));
            Path log = dir.resolve("suite.log");
            ProcessBuilder suite = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"),
                    "-Dpool=" + EmbeddedCluster.STORAGE_CLASS, "-Dvmbench.dataSource=images/fedora",
                    "-Dvmbench.vmSizes=small", "-Dvmbench.pvcSizes=1Gi", "-Dvmbench.concurrency=2",
                    "-Dvmbench.profiles=random-rw", "-Dvmbench.blockSizes=4k", "-Dvmbench.runtime=60s",
                    "-Dvmbench.ramp=0s", "-Dvmbench.fileSize=16MiB", "-Dvmbench.rootDiskSize=1Gi",
                    "-Dvmbench.sshPort=2222", "-Dvmbench.resultsDir=" + dir.resolve("results"),
                    "-Dallure.results.directory=" + dir.resolve("allure"), SuiteMain.class.getName())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            suite.environment().put("KUBECONFIG", kubeconfig.toString());
            Process process = suite.start();
            try {
                await("fio running in the suite's VMs").atMost(Duration.ofMinutes(2))
                        .until(() -> jobsRunning(dir.resolve("sandboxes")) == 2);
                assertThat(labelled(client)).isNotEmpty();

                // when
                process.destroy();

                // then: the shutdown hook deleted everything before the JVM ended
                assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the suite exits").isTrue();
                assertThat(labelled(client)).isEmpty();
                assertThat(Files.readString(log)).contains("JVM stopping before the run ended: deleting this run's "
                        + "resources");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    private static List<String> labelled(KubernetesClient client) {
        return Stream.of(
                KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, "vmbench").withLabel(MANAGED).list().getItems().stream()
                        .map(r -> "vm " + r.getMetadata().getName()),
                KubeVirt.in(client, KubeVirt.DATA_VOLUME, "vmbench").withLabel(MANAGED).list().getItems().stream()
                        .map(r -> "dv " + r.getMetadata().getName()),
                client.persistentVolumeClaims().inNamespace("vmbench").withLabel(MANAGED).list().getItems().stream()
                        .map(r -> "pvc " + r.getMetadata().getName()),
                client.secrets().inNamespace("vmbench").withLabel(MANAGED).list().getItems().stream()
                        .map(r -> "secret " + r.getMetadata().getName()))
                .flatMap(s -> s).toList();
    }

    /** Guests whose vmbench-guest state says a measuring fio runs. */
    private static long jobsRunning(Path sandboxes) throws IOException {
        if (!Files.isDirectory(sandboxes)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(sandboxes)) {
            return files.filter(f -> f.endsWith(Path.of("var/lib/vmbench/state"))).filter(f -> {
                try {
                    return Files.readString(f).trim().equals("running")
                            && Files.readString(f.resolveSibling("mode")).trim().equals("measure");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }
}
