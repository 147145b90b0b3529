package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
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

    /** The suite in a JVM of its own against {@code cluster} through a kubeconfig, with these settings on top. */
    private Process suite(EmbeddedCluster cluster, Path log, String... settings) throws IOException {
        Path kubeconfig = cluster.writeKubeconfig(dir.resolve("kubeconfig"));
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-cp", System.getProperty("java.class.path"),
                "-Dpool=" + EmbeddedCluster.STORAGE_CLASS, "-Dvmbench.dataSource=images/fedora",
                "-Dvmbench.vmSizes=small", "-Dvmbench.pvcSizes=1Gi", "-Dvmbench.profiles=random-rw",
                "-Dvmbench.blockSizes=4k", "-Dvmbench.ramp=0s", "-Dvmbench.fileSize=16MiB",
                "-Dvmbench.rootDiskSize=1Gi", "-Dvmbench.sshPort=2222", "-Dvmbench.resultsDir=" + dir.resolve("results"),
                "-Dallure.results.directory=" + dir.resolve("allure")));
        command.addAll(List.of(settings));
        command.add(SuiteMain.class.getName());
        ProcessBuilder suite = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        suite.environment().put("KUBECONFIG", kubeconfig.toString());
        return suite.start();
    }

    @Test
    void sigtermWhileAGroupIsBeingCreatedLeavesNothingLabelledBehind() throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("sandboxes"), "images", "fedora", 2222,
                List.of()); KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(cluster.clientConfig()).build()) {
            // given: a group of eight VMs whose resources are being created
            Process process = suite(cluster, dir.resolve("suite.log"), "-Dvmbench.concurrency=8", "-Dvmbench.runtime=5s");
            try {
                await("the group's first resources created").atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(20)).until(() -> !labelled(client).isEmpty());

                // when: stopped mid-provisioning
                process.destroy();

                // then: creating stopped before deleting, so no creation landed after the deletion
                assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the suite exits").isTrue();
                assertThat(labelled(client)).isEmpty();
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void sigtermSparesTheGroupsTheCleanupModeKept() throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("sandboxes"), "images", "fedora", 2222,
                List.of()); KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(cluster.clientConfig()).build()) {
            // given: cleanup on-success keeps the 1-VM group, whose test missed its threshold; the 2-VM group runs
            Process process = suite(cluster, dir.resolve("suite.log"), "-Dvmbench.concurrency=1,2",
                    "-Dvmbench.runtime=5s", "-Dvmbench.cleanup=on-success", "-Dvmbench.threshold.min-iops=1000M");
            try {
                await("fio running in the 2-VM group").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                        .until(() -> jobsRunning(dir.resolve("sandboxes")) == 2);

                // when
                process.destroy();

                // then: the kept group is still there, the running one is gone
                assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("the suite exits").isTrue();
                List<String> groups = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, "vmbench").withLabel(MANAGED).list()
                        .getItems().stream().map(vm -> vm.getMetadata().getName()).toList();
                assertThat(groups).singleElement().asString().contains("-x1-");
                assertThat(labelled(client)).allMatch(r -> r.contains("-x1-"));
                Path runDir;
                try (Stream<Path> runs = Files.list(dir.resolve("results"))) {
                    runDir = runs.findFirst().orElseThrow();
                }
                assertThat(Files.readString(runDir.resolve("kept.txt"))).startsWith("embedded-local small 1Gi x1: ");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void aHardKilledRunResumesWithoutNameClashes() throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.start(dir.resolve("sandboxes"), "images", "fedora", 2222,
                List.of()); KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(cluster.clientConfig()).build()) {
            // given: a run killed with SIGKILL while fio ran, so no shutdown hook deleted anything
            Process first = suite(cluster, dir.resolve("first.log"), "-Dvmbench.concurrency=1", "-Dvmbench.runtime=4s");
            try {
                await("fio running").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                        .until(() -> jobsRunning(dir.resolve("sandboxes")) == 1);
                first.destroyForcibly();
                assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                first.destroyForcibly();
            }
            assertThat(labelled(client)).as("the killed run left its VM").isNotEmpty();
            String runId;
            try (Stream<Path> runs = Files.list(dir.resolve("results"))) {
                runId = runs.findFirst().orElseThrow().getFileName().toString();
            }
            // no reader of the killed run's summary may take it for a pass
            JsonNode killed = SuiteRun.json(Files.readString(dir.resolve("results").resolve(runId)
                    .resolve("summary.json")));
            assertThat(killed.path("status").asText()).isEqualTo("incomplete");
            assertThat(killed.path("planned").asInt()).isEqualTo(1);
            assertThat(killed.path("finished").asInt()).isZero();

            // when
            Process resumed = suite(cluster, dir.resolve("resumed.log"), "-Dvmbench.concurrency=1",
                    "-Dvmbench.runtime=4s", "-Dvmbench.resume=" + runId);

            // then
            assertThat(resumed.waitFor(3, TimeUnit.MINUTES)).as("the resumed run ends").isTrue();
            assertThat(Files.readString(dir.resolve("resumed.log"))).contains("1 tests successful")
                    .doesNotContain("HTTP 409");
            assertThat(labelled(client)).as("the group's cleanup took the killed session's VM too").isEmpty();
            assertThat(SuiteRun.json(Files.readString(dir.resolve("results").resolve(runId).resolve("summary.json")))
                    .path("status").asText()).as("the resumed run that finished gives the verdict").isEqualTo("passed");
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
