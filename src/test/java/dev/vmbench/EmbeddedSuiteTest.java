package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * The storage suite ({@link StorageBenchmarkIT}) run on the embedded cluster through the JUnit Launcher, and
 * what a reviewer gets from it: results on disk, and an Allure result per test with its parameters and the
 * raw fio JSON of every VM; threshold misses as failed tests, infrastructure trouble as broken ones.
 */
class EmbeddedSuiteTest {

    @TempDir
    Path dir;

    @Test
    void everyTestCarriesItsParametersAndTheRawFioJsonOfEveryVm() throws IOException {
        // when: two groups (1 and 2 VMs) x two permutations
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k,64k", "vmbench.concurrency", "1,2"));

        // then
        assertThat(run.tests().values()).hasSize(4).allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        Path runDir = run.runDir();
        assertThat(Files.readAllLines(runDir.resolve("provisioning.log")))
                .as("each group is provisioned exactly once").hasSize(2)
                .anyMatch(l -> l.contains("(embedded-local small 1Gi x1)"))
                .anyMatch(l -> l.contains("(embedded-local small 1Gi x2)"));
        List<String> csv = Files.readAllLines(runDir.resolve("results.csv"));
        List<JsonNode> results = run.allureResults();
        assertThat(results).hasSize(4);
        int attachmentsSeen = 0;
        for (JsonNode test : results) {
            assertThat(test.path("status").asText()).isEqualTo("passed");
            int vms = Integer.parseInt(SuiteRun.parameter(test, "concurrency"));
            assertThat(SuiteRun.parameter(test, "pool")).isEqualTo("embedded-local");
            assertThat(SuiteRun.parameter(test, "profile")).isEqualTo("random-rw");
            assertThat(SuiteRun.parameter(test, "block size")).isIn("4k", "64k");
            List<JsonNode> raw = new ArrayList<>();
            test.path("attachments").forEach(a -> {
                if (a.path("name").asText().matches("fio .*\\.json")) {
                    raw.add(a);
                }
            });
            assertThat(raw).as("one raw fio JSON per VM").hasSize(vms);
            for (JsonNode attachment : raw) {
                String vm = attachment.path("name").asText().replaceAll("^fio |\\.json$", "");
                JsonNode fio = SuiteRun.json(run.attachment(attachment));
                double iops = fio.at("/jobs/0/read/iops").asDouble();
                assertThat(iops).as("real fio measured I/O").isPositive();
                // the same numbers reached results.csv
                assertThat(csv).anyMatch(line -> line.contains("," + vm + ",rand-read,read,")
                        && line.contains(String.format(java.util.Locale.ROOT, ",%.2f,", iops)));
                attachmentsSeen++;
            }
        }
        assertThat(attachmentsSeen).isEqualTo(6);
    }

    @Test
    void aThresholdThatCannotBeMetFailsTheTestNamingMetricLimitMeasuredValueAndVm() {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1", "vmbench.threshold.min-iops", "1000M"));

        // then
        TestExecutionResult result = run.test("random-rw 4k");
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(result.getThrowable()).get().isInstanceOf(AssertionError.class).asString()
                .contains("missed 2 threshold(s)")
                .containsPattern("iops \\d+ IOPS is below the minimum 1000000000 IOPS \\(min-iops 1000M from "
                        + "-Dvmbench.threshold.min-iops\\) on VM vmb-[a-z0-9]+-small-x1-[0-9a-f]{6}-0 job rand-read read");
        JsonNode allure = run.allureResults().get(0);
        assertThat(allure.path("status").asText()).isEqualTo("failed");
        assertThat(allure.path("attachments").toString()).as("raw JSON attached before asserting").contains("fio vmb-");
    }

    @Test
    void anUnschedulableVmBreaksTheTestWithKubeVirtsReasonAndDiagnostics() {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k,64k", "vmbench.concurrency", "1", "vmbench.embedded.faults", "unschedulable"));

        // then: the first test carries the cause; the second fails at once without provisioning again
        assertThat(run.test("random-rw 4k").getThrowable()).get().asString()
                .containsPattern("VM group embedded-local small 1Gi x1 could not be provisioned: VM vmbench/vmb-\\S+ "
                        + "failed: \\[ErrorUnschedulable: PodScheduled Unschedulable — 0/3 nodes are available: 3 "
                        + "Insufficient memory.\\], a state KubeVirt does not leave by itself");
        assertThat(run.test("random-rw 64k").getThrowable()).get().asString()
                .contains("failed to provision for an earlier test, so this one did not run");
        List<JsonNode> allure = run.allureResults();
        assertThat(allure).extracting(r -> r.path("status").asText()).containsExactly("broken", "broken");
        assertThat(allure.toString()).contains("events.txt");
        assertThat(Files.exists(run.runDir().resolve("provisioning.log"))).isFalse();
    }

    @Test
    void aFailingFioBreaksTheTestWithFiosOwnMessage() {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1", "vmbench.embedded.faults", "fio-fails"));

        assertThat(run.test("random-rw 4k").getThrowable()).get().asString()
                .containsPattern("fio failed on VM vmb-\\S+ \\(failed, exit 1\\) laying out the test file for "
                        + "random-rw 4k; fio said: \\[fio: io_u error on file vmbench.dat: Input/output error: write "
                        + "offset=0, buflen=4096\\]. Fix: see the attached guest diagnostics.");
        assertThat(run.allureResults()).singleElement().satisfies(r -> {
            assertThat(r.path("status").asText()).isEqualTo("broken");
            assertThat(r.path("attachments").toString()).contains("-guest-diagnose.txt");
        });
    }

    @Test
    void aGuestWithAnotherHostKeyIsRefused() {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "db-oltp",
                "vmbench.concurrency", "1", "vmbench.embedded.faults", "wrong-host-key"));

        assertThat(run.test("db-oltp native").getThrowable()).get().asString()
                .containsPattern("VM vmb-\\S+ presented host key SHA256:\\S+ but the harness gave it SHA256:\\S+ "
                        + "through cloud-init: refusing to connect");
        assertThat(run.allureResults()).extracting(r -> r.path("status").asText()).containsExactly("broken");
    }
}
