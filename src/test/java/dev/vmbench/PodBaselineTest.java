package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * {@link PodBaselineIT} on the embedded cluster: the same job in a VM and in a plain pod on the same StorageClass,
 * reached through the exec subresource, and the VM-to-pod ratios in the test's description and
 * {@code pod-baseline.csv}.
 */
class PodBaselineTest {

    @TempDir
    Path dir;

    @Test
    void theSameJobRunsInThePodAndTheRatiosAreReported() throws IOException {
        // when
        SuiteRun run = SuiteRun.of(PodBaselineIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1"));

        // then: the test passed, with the pod's own step, raw output and a ratio table
        assertThat(run.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        JsonNode test = run.testResults().get(0);
        assertThat(SuiteRun.steps(test)).anyMatch(s -> s.matches("the same job in baseline pod vmb-\\S+-0-pod"));
        assertThat(test.path("descriptionHtml").asText()).contains("<b>VM against a plain pod on the same "
                + "StorageClass</b>", "<th>IOPS VM / pod</th>", "<td>rand-read</td><td>read</td>")
                .as("the metrics table stays first").startsWith("<table");
        // one row per job section and direction, every ratio a number
        List<String> rows = Files.readAllLines(run.runDir().resolve("pod-baseline.csv"));
        assertThat(rows.get(0)).isEqualTo("run,pool,vm_size,pvc_size,concurrency,profile,block_size,job,direction,"
                + "vm_iops,pod_iops,iops_ratio,vm_bw_bytes,pod_bw_bytes,bw_ratio,vm_clat_p99_ns,pod_clat_p99_ns,"
                + "p99_ratio");
        assertThat(rows.subList(1, rows.size())).hasSize(2).allSatisfy(row -> {
            String[] cells = row.split(",");
            assertThat(cells[2] + " " + cells[3] + " " + cells[7] + " " + cells[8])
                    .matches("small 1Gi (rand-read read|rand-write write)");
            // each ratio is the VM's figure over the pod's, as written beside it (two decimals)
            for (int ratio : new int[] {11, 14, 17}) {
                double vm = Double.parseDouble(cells[ratio - 2]);
                double pod = Double.parseDouble(cells[ratio - 1]);
                assertThat(vm).as(row).isPositive();
                assertThat(Double.parseDouble(cells[ratio])).as(row).isCloseTo(vm / pod, within(0.006 + vm / pod * 1e-3));
            }
        });
        // the pod's raw fio output is kept beside the VM's
        try (Stream<Path> files = Files.walk(run.runDir())) {
            assertThat(files.map(f -> f.getFileName().toString())).anyMatch(f -> f.matches("pod-vmb-\\S+-0-pod\\.json"));
        }
        // its manifests are recorded and its pod is gone with the group
        try (Stream<Path> manifests = Files.list(run.runDir().resolve("manifests/small-1gi-x1-773981"))) {
            assertThat(manifests.map(f -> f.getFileName().toString())).anyMatch(f -> f.endsWith("-pod.pod.yaml"))
                    .anyMatch(f -> f.endsWith("-pod-data.pvc.yaml"));
        }
    }

    @Test
    void anImageThatCannotBePulledBreaksTheTestNamingTheImageAndTheFix() {
        // when
        SuiteRun run = SuiteRun.of(PodBaselineIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1", "vmbench.embedded.faults", "pod-image-pull"));

        // then
        assertThat(run.test("random-rw 4k").getThrowable()).get().asString().containsPattern("Baseline pod "
                + "vmbench/vmb-\\S+-0-pod cannot run: its container waited in \\[ImagePullBackOff\\] for more than "
                + "3s \\(vmbench.transientGrace\\): Back-off pulling image \"quay.io/cloud-bulldozer/fio:latest\" "
                + "\\(image quay.io/cloud-bulldozer/fio:latest\\)\\. "
                + "Fix: set -Dvmbench.podBaseline.image to an image that the cluster can pull, with bash, fio and "
                + "coreutils, that runs as a non-root user\\.");
        assertThat(run.testResults()).singleElement().satisfies(r -> assertThat(r.path("status").asText())
                .isEqualTo("broken"));
    }

    @Test
    void aGroupOfSeveralVmsIsRefusedForAComparisonWithOnePod() {
        // when
        SuiteRun run = SuiteRun.of(PodBaselineIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "2"));

        // then
        assertThat(run.test("random-rw 4k").getThrowable()).get().extracting(Throwable::getMessage).isEqualTo("The pod "
                + "baseline compares a VM with one plain pod that has the storage to itself, so it runs on groups of one "
                + "VM; group embedded-local small 1Gi x2 has vmbench.concurrency [2], whose VMs share the storage with "
                + "each other, and its ratio would measure that sharing, not virtualization. Fix: run PodBaselineIT "
                + "with -Dvmbench.concurrency=1.");
    }
}
