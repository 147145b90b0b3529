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
        // the plan, with fio time from each profile's stonewalled phases: random-rw has 2, db-oltp 4 (35 s each)
        String plan = Files.readString(run.runDir().resolve("plan.txt"));
        assertThat(plan).contains("nothing is created",
                "group embedded-local small 1Gi x1: 1 VM(s), 3 test(s), data PVCs 1 x 1Gi, fio 4 min 40 s",
                "group embedded-local small 1Gi x2: 2 VM(s), 3 test(s), data PVCs 2 x 1Gi, fio 4 min 40 s",
                "    random-rw 4k (1 min 10 s: 2 phase(s) of runtime + ramp, 1 file(s) of 16 MiB)",
                "    db-oltp native (2 min 20 s: 4 phase(s) of runtime + ramp, 10 file(s) of 16 MiB)",
                "2 group(s), 6 test(s), at most 2 VM(s) at once, data PVC capacity 3Gi in all (groups run one after "
                        + "another, so at most 2Gi at once); fio time 9 min 20 s (every stonewalled phase of every "
                        + "test runs runtime + ramp, one test after another)",
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

    @Test
    void aDryRunOfTheCapacityQuestionsCreatesNothingEither() {
        for (Class<?> question : java.util.List.of(QueueDepthIT.class, VmDensityIT.class)) {
            SuiteRun run = SuiteRun.of(question, dir.resolve(question.getSimpleName()), Map.of("vmbench.dryRun", "true",
                    "vmbench.concurrency", "1"));

            assertThat(run.tests()).as(question.getSimpleName()).isEmpty();
            assertThat(run.runDir().resolve("provisioning.log")).doesNotExist();
        }
    }

    @Test
    void theBashSuitesFullMatrixIsPlannedWithItsOwnJobs() throws IOException {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.dryRun", "true",
                "pool", "ocs-storagecluster-ceph-rbd", "vmbench.preset", "full",
                // the preset's own 120 s + 10 s and 4 GiB, stated because the test harness sets small ones of its own
                "vmbench.runtime", "120s", "vmbench.ramp", "10s", "vmbench.fileSize", "4GiB"));

        // then: 3 sizes x 3 PVC sizes x 3 concurrencies, each with 3 profiles x 3 block sizes + 3 native profiles
        assertThat(run.testResults()).hasSize(324);
        String plan = Files.readString(run.runDir().resolve("plan.txt"));
        assertThat(plan).contains("group ocs-storagecluster-ceph-rbd large 1000Gi x10: 10 VM(s), 12 test(s), data "
                + "PVCs 10 x 1000Gi, fio 1 h 0 min", "    data-pipeline native (10 min 50 s: 5 phase(s) of runtime + ramp, 18 file(s) "
                + "of 4096 MiB)",
                "27 group(s), 324 test(s), at most 10 VM(s) at once", "fio time 27 h 18 min");
        // the jobs the guests would run are the bash suite's, with its defaults filled in
        String oltp = Files.readString(run.runDir().resolve("jobs/db-oltp-native.fio"));
        assertThat(oltp).contains("[db-wal-write]\nrw=write\nbs=8k\niodepth=1\nnumjobs=1\nfsync=1\nstonewall",
                "runtime=120", "ramp_time=10", "size=4294967296").doesNotContain("${");
        assertThat(Files.readString(run.runDir().resolve("jobs/random-rw-4k.fio"))).contains("iodepth=32", "numjobs=4",
                "bs=4k", "filename=fio-testfile");
    }

    @Test
    void theDefaultRealClusterMatrixFitsItsDefaultDisks() throws IOException {
        // when: the README's first real-cluster command as a dry run, every setting at its default (50Gi, 4 GiB)
        SuiteRun run = SuiteRun.asGiven(StorageBenchmarkIT.class, dir, Map.of("vmbench.dryRun", "true", "pool",
                "ocs-storagecluster-ceph-rbd"));

        // then: accepted; data-pipeline's 18 files are sized down to share the 50Gi disk with 10 % to spare
        assertThat(run.tests()).isEmpty();
        String plan = Files.readString(run.runDir().resolve("plan.txt"));
        assertThat(plan).contains("data-pipeline native (", "18 file(s) of 2585 MiB)", "random-rw 4k (",
                "1 file(s) of 4096 MiB)");
        assertThat(Files.readString(run.runDir().resolve("jobs/data-pipeline-native.fio")))
                .contains("size=" + (2585L << 20)).contains("; vmbench-file-size: " + (2585L << 20));
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
