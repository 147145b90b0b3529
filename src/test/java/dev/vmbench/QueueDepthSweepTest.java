package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * {@link QueueDepthIT} on the embedded cluster: real fio at each queue depth on the same VMs, and what it leaves —
 * {@code qd.csv}, the chart, the knee and the best rate within the target — or why it failed.
 */
class QueueDepthSweepTest {

    @TempDir
    Path dir;

    @Test
    void eachDepthRunsOnTheSameVmsAndTheSweepIsWrittenAndDescribed() throws IOException {
        // when
        SuiteRun run = SuiteRun.of(QueueDepthIT.class, dir, Map.of("vmbench.concurrency", "1", "vmbench.qd.depths",
                "1,8", "vmbench.qd.p99Target", "1s"));

        // then: one test, passed, one group provisioned once for both depths
        assertThat(run.tests().values()).singleElement().matches(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL,
                "successful");
        assertThat(Files.readAllLines(run.runDir().resolve("provisioning.log"))).hasSize(1);
        List<String> qd = Files.readAllLines(run.runDir().resolve("qd.csv"));
        assertThat(qd.get(0)).isEqualTo("run,pool,vm_size,pvc_size,concurrency,profile,block_size,iodepth,iops,bw_bytes,"
                + "worst_clat_p99_ns,merged_clat_p99_ns,within_target");
        assertThat(qd.subList(1, qd.size())).hasSize(2).allMatch(l -> l.endsWith(",true"))
                .anyMatch(l -> l.contains(",random-rw,4k,1,")).anyMatch(l -> l.contains(",random-rw,4k,8,"));
        // the guests ran the job at each depth
        Path group = run.runDir().resolve("small-1gi-x1-773981");
        assertThat(group.resolve("random-rw-4k-qd8/job.fio")).content().contains("iodepth=8\n");
        assertThat(group.resolve("random-rw-4k-qd1/job.fio")).content().contains("iodepth=1\n");
        assertThat(group.resolve("qd.html")).content().contains("<svg", "qd 1", "qd 8", "target 1000.00 ms");
        JsonNode test = run.testResults().get(0);
        assertThat(test.path("descriptionHtml").asText()).containsPattern("embedded-local small 1Gi x1: \\d+ IOPS at "
                + "queue depth (1|8) within 1000.00 ms p99").contains("<th>queue depth</th>", "best within target");
        assertThat(SuiteRun.steps(test)).contains("queue depth 1", "queue depth 8");
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("passed");
        assertThat(summary.path("permutations").findValuesAsText("permutation")).containsExactly("random-rw 4k qd1",
                "random-rw 4k qd8");
    }

    @Test
    void aMixedJobsBandwidthIsWhatThePhaseMovedReadsAndWritesTogether() throws IOException {
        // when: a 70/30 mix, reads and writes in one phase
        SuiteRun run = SuiteRun.of(QueueDepthIT.class, dir, Map.of("vmbench.concurrency", "1", "vmbench.qd.depths",
                "4", "vmbench.qd.p99Target", "1s", "vmbench.qd.profile", "mixed-70-30"));

        // then: qd.csv's bandwidth is the sum of every row fio reported for that step, both directions
        assertThat(run.tests().values()).singleElement().matches(r -> r.getStatus() == TestExecutionResult.Status
                .SUCCESSFUL, "successful");
        List<String> results = Files.readAllLines(run.runDir().resolve("results.csv"));
        int bw = List.of(results.get(0).split(",")).indexOf("bw_bytes");
        int direction = List.of(results.get(0).split(",")).indexOf("direction");
        List<String> rows = results.subList(1, results.size());
        assertThat(rows).extracting(r -> r.split(",")[direction]).contains("read", "write");
        double moved = rows.stream().mapToDouble(r -> Double.parseDouble(r.split(",")[bw])).sum();
        List<String> qd = Files.readAllLines(run.runDir().resolve("qd.csv"));
        double written = Double.parseDouble(qd.get(1).split(",")[9]);
        assertThat(written).isCloseTo(moved, org.assertj.core.data.Offset.offset(0.01 * rows.size()));
    }

    @Test
    void noDepthWithinTheTargetFailsTheSweepWithWhatItFound() throws IOException {
        SuiteRun run = SuiteRun.of(QueueDepthIT.class, dir, Map.of("vmbench.concurrency", "1", "vmbench.qd.depths",
                "2", "vmbench.qd.p99Target", "1us"));

        TestExecutionResult result = run.tests().values().iterator().next();
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(result.getThrowable()).get().isInstanceOf(AssertionError.class).asString()
                .contains("[embedded-local small 1Gi x1: no queue depth kept p99 within 1 µs; no knee within the depths "
                        + "swept]");
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("failed");
    }

    @Test
    void aProfileThatFixesItsOwnQueueDepthCannotBeSweptAndSaysWhich() {
        SuiteRun run = SuiteRun.of(QueueDepthIT.class, dir, Map.of("vmbench.concurrency", "1", "vmbench.qd.depths",
                "2", "vmbench.qd.profile", "lite-random"));

        TestExecutionResult result = run.tests().values().iterator().next();
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(result.getThrowable().orElseThrow()).isInstanceOf(IllegalArgumentException.class).hasMessage("Profile "
                + "[lite-random] does not take its queue depth from the run (no iodepth=${IODEPTH}), so it cannot run at "
                + "queue depth 2. Fix: sweep a job-file profile that writes iodepth=${IODEPTH}, such as random-rw.");
    }
}
