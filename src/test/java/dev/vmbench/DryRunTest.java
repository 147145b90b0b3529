package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dry run plans and renders, and creates nothing. */
class DryRunTest {

    @TempDir
    Path dir;

    @Test
    void aDryRunPrintsThePlanWritesTheManifestsAndCreatesNothing() throws IOException {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.dryRun", "true",
                "vmbench.profiles", "random-rw,db-oltp", "vmbench.blockSizes", "4k,64k", "vmbench.concurrency", "1,2",
                "vmbench.runtime", "30s", "vmbench.ramp", "5s"));

        // then: no test ran, none failed
        assertThat(run.tests()).isEmpty();
        assertThat(run.testResults()).hasSize(6).allSatisfy(r -> assertThat(r.path("status").asText()).isEqualTo("skipped"));
        // the plan, with fio time from each profile's sections: random-rw has 2, db-oltp 1 (35 s each)
        String plan = Files.readString(run.runDir().resolve("plan.txt"));
        assertThat(plan).contains("nothing is created",
                "group embedded-local small 1Gi x1: 1 VM(s), 3 test(s), data PVCs 1 x 1Gi, fio 2 min 55 s",
                "group embedded-local small 1Gi x2: 2 VM(s), 3 test(s), data PVCs 2 x 1Gi, fio 2 min 55 s",
                "    random-rw 4k (1 min 10 s)", "    db-oltp native (35 s)",
                "2 group(s), 6 test(s), at most 2 VM(s) at once, data PVC capacity 3Gi in all (groups run one after "
                        + "another, so at most 2Gi at once); fio time 5 min 50 s",
                "Unknown until the run asks the cluster:\n  - the data disks' accessModes and volumeMode (from each "
                        + "StorageClass's CDI StorageProfile; rendered as ReadWriteOnce and Filesystem)\n  - the VMs' "
                        + "evictionStrategy (auto: LiveMigrate only when the disks are ReadWriteMany; rendered as None)");
        // manifests of all three VMs, Secret data redacted
        try (Stream<Path> files = Files.walk(run.runDir().resolve("manifests"))) {
            assertThat(files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()))
                    .hasSize(9).anyMatch(n -> n.endsWith("-0.vm.yaml")).anyMatch(n -> n.endsWith("-1-data.pvc.yaml"));
        }
        try (Stream<Path> secrets = Files.walk(run.runDir().resolve("manifests"))) {
            assertThat(secrets.filter(f -> f.toString().endsWith(".secret.yaml")).map(DryRunTest::read))
                    .allMatch(text -> text.contains("userdata: REDACTED"));
        }
        // and nothing was provisioned: no group, and no cluster was even asked about itself
        assertThat(run.runDir().resolve("provisioning.log")).doesNotExist();
        assertThat(Files.readString(run.allureDir().resolve("environment.properties")))
                .contains("run=" + run.runDir().getFileName()).doesNotContain("kubevirt=", "nodes=");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aDryRunWithAReachableClusterRendersWhatTheRunWouldApplyAndCreatesNothing() throws Exception {
        try (dev.vmbench.embedded.EmbeddedCluster cluster = dev.vmbench.embedded.EmbeddedCluster.start(
                dir.resolve("sandboxes"), "images", "fedora", 2222, java.util.List.of());
                io.fabric8.kubernetes.client.KubernetesClient client = new io.fabric8.kubernetes.client
                        .KubernetesClientBuilder().withConfig(cluster.clientConfig()).build()) {
            // given: a kubeconfig whose cluster's StorageProfile recommends ReadWriteMany + Block
            Path kubeconfig = cluster.writeKubeconfig(dir.resolve("kubeconfig"));
            ProcessBuilder suite = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Dpool=" + dev.vmbench.embedded.EmbeddedCluster
                    .STORAGE_CLASS, "-Dvmbench.rootStorageClass=" + dev.vmbench.embedded.EmbeddedCluster.STORAGE_CLASS,
                    "-Dvmbench.dryRun=true", "-Dvmbench.concurrency=1", "-Dvmbench.profiles=random-rw",
                    "-Dvmbench.blockSizes=4k", "-Dvmbench.resultsDir=" + dir.resolve("results"),
                    "-Dallure.results.directory=" + dir.resolve("allure"), SuiteMain.class.getName())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("suite.log").toFile());
            suite.environment().put("KUBECONFIG", kubeconfig.toString());

            // when
            Process process = suite.start();

            // then
            assertThat(process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            Path runDir;
            try (Stream<Path> runs = Files.list(dir.resolve("results"))) {
                runDir = runs.findFirst().orElseThrow();
            }
            assertThat(Files.readString(runDir.resolve("plan.txt"))).contains("Data-disk claim properties and "
                    + "evictionStrategy were read (read-only) from " + cluster.clientConfig().getMasterUrl());
            try (Stream<Path> files = Files.walk(runDir.resolve("manifests"))) {
                java.util.List<Path> manifests = files.filter(Files::isRegularFile).toList();
                assertThat(manifests).filteredOn(f -> f.toString().endsWith(".pvc.yaml")).singleElement()
                        .satisfies(pvc -> assertThat(read(pvc)).contains("  accessModes:\n    - ReadWriteMany\n")
                                .contains("volumeMode: Block\n"));
                assertThat(manifests).filteredOn(f -> f.toString().endsWith(".vm.yaml")).singleElement()
                        .satisfies(vm -> assertThat(read(vm)).contains("evictionStrategy: LiveMigrate\n"));
            }
            assertThat(dev.vmbench.cluster.KubeVirt.in(client, dev.vmbench.cluster.KubeVirt.VIRTUAL_MACHINE, "vmbench")
                    .list().getItems()).as("nothing created").isEmpty();
        }
    }
}
