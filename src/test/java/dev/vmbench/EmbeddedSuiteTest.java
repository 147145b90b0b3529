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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
                "vmbench.blockSizes", "4k,64k", "vmbench.concurrency", "1,2", "vmbench.logInterval", "200ms"));

        // then
        assertThat(run.tests().values()).hasSize(4).allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        Path runDir = run.runDir();
        assertThat(Files.readAllLines(runDir.resolve("provisioning.log")))
                .as("each group is provisioned exactly once").hasSize(2)
                .anyMatch(l -> l.contains("(embedded-local small 1Gi x1)"))
                .anyMatch(l -> l.contains("(embedded-local small 1Gi x2)"));
        List<String> csv = Files.readAllLines(runDir.resolve("results.csv"));
        List<JsonNode> results = run.testResults();
        assertThat(results).hasSize(4);
        int attachmentsSeen = 0;
        for (JsonNode test : results) {
            assertThat(test.path("status").asText()).isEqualTo("passed");
            int vms = Integer.parseInt(SuiteRun.parameter(test, "concurrency"));
            assertThat(SuiteRun.parameter(test, "pool")).isEqualTo("embedded-local");
            assertThat(SuiteRun.parameter(test, "profile")).isEqualTo("random-rw");
            assertThat(SuiteRun.parameter(test, "block size")).isIn("4k", "64k");
            List<JsonNode> raw = SuiteRun.attachments(test).stream()
                    .filter(a -> a.path("name").asText().matches("fio .*\\.json")).toList();
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
        // every row carries the group's own p99, merged from the VMs' json+ histograms, and its VM's steadiness
        assertThat(csv.get(0)).endsWith(",group_clat_p99_ns,vm_iops_drift_pct");
        assertThat(csv.subList(1, csv.size())).allMatch(line -> line.matches(".*,\\d+\\.\\d\\d,\\d+\\.\\d\\d$"));
        // and every test's description holds the table and the charts: latency histogram, IOPS and latency over time
        for (JsonNode test : results) {
            int vms = Integer.parseInt(SuiteRun.parameter(test, "concurrency"));
            String description = test.path("descriptionHtml").asText();
            assertThat(description).contains("<th>p99.9</th>", "latency of rand-read read over " + vms + " VM(s)",
                    "IOPS per VM over time (every 200 ms)", "mean completion latency per VM over time, ms");
            assertThat(description.split("iops-drift \\d+\\.\\d %", -1)).as("every VM's steadiness, in both charts' legends")
                    .hasSize(2 * vms + 1);
        }
        // fio's interval logs of every VM are kept, compressed, beside its JSON
        try (var files = Files.walk(runDir)) {
            assertThat(files.filter(f -> f.toString().endsWith(".logs.gz"))).hasSize(6);
        }
    }

    @Test
    void aGuestWhoseClockIsOffIsToldTheStartInItsOwnClockAndTheVmsProvablyRunTogether() throws IOException {
        // when: two VMs, the first one's clock 3 s ahead
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "lite-random",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "2", "vmbench.embedded.faults", "clock-skew",
                "vmbench.runtime", "2s"));

        // then: it passes, the measuring starts lie within 50 ms of each other on one clock, and they overlap
        assertThat(run.tests().values()).singleElement().matches(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL,
                "successful");
        List<String> timings = Files.readAllLines(run.runDir().resolve("timings.csv"));
        List<String> header = List.of(timings.get(0).split(","));
        String[] row = timings.get(1).split(",");
        assertThat(Long.parseLong(row[header.indexOf("start_spread_ms")])).isBetween(0L, 50L);
        assertThat(Double.parseDouble(row[header.indexOf("overlap_pct")])).isGreaterThan(95);
        // and the guest's clock really was ahead: fio stamped its output about 3 s later than the other VM's
        List<Long> stamps = new ArrayList<>();
        for (JsonNode test : run.testResults()) {
            for (JsonNode attachment : SuiteRun.attachments(test)) {
                if (attachment.path("name").asText().matches("fio .*\\.json")) {
                    stamps.add(SuiteRun.json(run.attachment(attachment)).path("timestamp_ms").asLong());
                }
            }
        }
        assertThat(stamps).hasSize(2);
        assertThat(Math.abs(stamps.get(0) - stamps.get(1))).isBetween(2_500L, 3_500L);
    }

    @Test
    void withSamplesEachPermutationRunsThatOftenAndTheMedianIsJudgedWithTheSpreadRecorded() throws IOException {
        // when: two samples of one permutation on a group of two VMs
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "lite-random",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "2", "vmbench.samples", "2"));

        // then: one test, passed, with every sample's raw output of every VM and both samples' steps
        assertThat(run.tests().values()).singleElement().matches(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL,
                "successful");
        JsonNode test = run.testResults().get(0);
        assertThat(SuiteRun.attachmentNames(test).stream().filter(n -> n.matches("fio vmb-.*-[01]-sample[12]\\.json")))
                .hasSize(4);
        assertThat(SuiteRun.steps(test)).contains("start fio on every VM at one instant and wait for it (sample 1 of 2)",
                "start fio on every VM at one instant and wait for it (sample 2 of 2)");
        // the summary holds the judged sample's numbers and the range of both
        JsonNode entry = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json"))).path("permutations").get(0);
        assertThat(entry.path("samples").asInt()).isEqualTo(2);
        JsonNode job = entry.path("jobs").get(0);
        assertThat(job.path("iopsMin").asDouble()).isPositive().isLessThanOrEqualTo(job.path("iopsMax").asDouble());
        // of two samples the worse by the group's busiest-phase IOPS is judged: recompute each from its raw outputs
        Map<String, Map<Integer, Double>> phases = new java.util.HashMap<>();
        for (JsonNode attachment : SuiteRun.attachments(test)) {
            String name = attachment.path("name").asText();
            if (name.matches("fio vmb-.*-sample[12]\\.json")) {
                String sample = name.replaceAll(".*-(sample[12])\\.json", "$1");
                dev.vmbench.fio.FioOutput.parse(name, run.attachment(attachment)).metrics().forEach(m -> phases
                        .computeIfAbsent(sample, k -> new java.util.HashMap<>()).merge(m.phase(), m.iops(), Double::sum));
            }
        }
        double worse = phases.values().stream().mapToDouble(p -> p.values().stream().mapToDouble(Double::doubleValue)
                .max().orElseThrow()).min().orElseThrow();
        assertThat(phases).hasSize(2);
        assertThat(entry.path("totalIops").asDouble()).isCloseTo(worse, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(test.path("descriptionHtml").asText()).contains("The median of 2 samples (by total IOPS)");
    }

    @Test
    void theReportShowsStepsJobMetricsChartsEnvironmentAndARunSummary() throws IOException {
        // when: two groups x two permutations
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "sequential-rw,lite-db-oltp",
                "vmbench.blockSizes", "1m", "vmbench.concurrency", "1,2"));

        // then: every test shows its phases as steps, the job it ran and its metrics
        List<JsonNode> tests = run.testResults();
        assertThat(tests).hasSize(4).allSatisfy(test -> {
            assertThat(SuiteRun.steps(test)).containsExactly(
                    "install the job and lay out its test file on " + SuiteRun.parameter(test, "concurrency") + " VM(s)",
                    "start fio on every VM at one instant and wait for it", "collect fio's JSON");
            assertThat(SuiteRun.attachmentNames(test)).contains("fio job", "metrics");
        });
        // each group's charts once, on its last test, as inline SVG
        List<JsonNode> charts = tests.stream().flatMap(t -> SuiteRun.attachments(t).stream())
                .filter(a -> a.path("name").asText().startsWith("charts of group")).toList();
        assertThat(charts).hasSize(2).allSatisfy(c -> assertThat(run.attachment(c))
                .contains("<svg", "IOPS, all VMs", "p99 completion latency", "lite-db-oltp native · db-pages read"));
        // sysinfo and phase timings once per group
        assertThat(tests.stream().filter(t -> SuiteRun.attachmentNames(t).contains("provisioning phases (ms)")))
                .hasSize(2);
        // the run: environment and summary
        String environment = Files.readString(run.allureDir().resolve("environment.properties"));
        assertThat(environment).contains("kubevirt=v1.9.0-embedded", "cdi=embedded", "fio_in_guests=fio-3",
                "storage_class_embedded-local=sandbox.vmbench.dev", "nodes=3 {sandbox=3}", "run=");
        JsonNode summary = run.runSummary();
        assertThat(summary.path("status").asText()).isEqualTo("passed");
        assertThat(run.attachment(summary.path("attachments").get(0)))
                .contains("<td>1</td><td>embedded-local</td><td>4</td><td>0</td><td>0</td>", "<svg");
        assertThat(run.runDir().resolve("summary.html")).exists();
    }

    @Test
    void aSelectionRunsOnlyWhatItNamesAndProvisionsNoOtherGroup() throws IOException {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw,lite-db-oltp",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1,2", "vmbench.filter", "*:*:*:2",
                "vmbench.exclude", "*:*:*:*:lite-db-oltp"));

        assertThat(run.tests().values()).hasSize(1).allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        assertThat(Files.readAllLines(run.runDir().resolve("provisioning.log"))).singleElement().asString()
                .contains("(embedded-local small 1Gi x2)");
        assertThat(run.testResults()).extracting(r -> r.path("status").asText()).containsExactlyInAnyOrder("passed",
                "skipped");
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
        JsonNode allure = run.testResults().get(0);
        assertThat(allure.path("status").asText()).isEqualTo("failed");
        assertThat(Categories.of(allure)).containsExactly("Threshold breach (storage missed a gate)");
        assertThat(SuiteRun.attachmentNames(allure)).as("raw JSON attached before asserting")
                .anyMatch(name -> name.startsWith("fio vmb-"));
        // the numbers without clicking: the description holds the table, the missed cells highlighted, and why
        String description = allure.path("descriptionHtml").asText();
        assertThat(description).contains("<th>p99.9</th>", "all 1 VMs", "merged 1 VMs", "<li>iops ",
                        "latency of rand-read read over 1 VM(s) — ")
                .containsPattern("<td>rand-read</td><td>read</td><td style='background:#f8c8c8'>\\d+</td>");
    }

    @Test
    void aRegressionAgainstAnEarlierRunFailsTheTestWithItsDeltas() throws IOException {
        // given: an earlier run, doctored to have been ten times faster
        Map<String, String> plan = Map.of("vmbench.profiles", "random-rw", "vmbench.blockSizes", "4k",
                "vmbench.concurrency", "1");
        SuiteRun earlier = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("earlier"), plan);
        Path summary = earlier.runDir().resolve("summary.json");
        Files.writeString(summary, Files.readString(summary).replaceAll("\"iops\" : (\\d+)", "\"iops\" : $10"));

        // when
        Map<String, String> again = new java.util.HashMap<>(plan);
        again.put("vmbench.baseline", earlier.runDir().toString());
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("again"), again);

        // then
        assertThat(run.test("random-rw 4k").getThrowable()).get().isInstanceOf(AssertionError.class).asString()
                .contains("regressed against baseline Baseline[" + earlier.runDir().resolve("summary.json") + "]")
                .containsPattern("rand-read read IOPS \\d+ vs \\d+ \\(-[1-9]\\d\\.\\d %, allowed -10 %\\)");
        assertThat(run.testResults()).singleElement().satisfies(r -> assertThat(Categories.of(r))
                .containsExactly("Regression against baseline (slower than an earlier run)"));
        // and a comparison report with the deltas of every metric
        assertThat(Files.readString(run.runDir().resolve("comparison.md")))
                .contains("| permutation | job direction | IOPS | MiB/s | worst p99 (ms) |")
                .containsPattern("\\| embedded-local small 1Gi x1 / random-rw 4k \\| rand-read read \\| \\d+ vs \\d+ "
                        + "\\(-\\d+\\.\\d %\\) \\| [\\d.]+ vs [\\d.]+ \\([+-]\\d+\\.\\d %\\) \\| [\\d.]+ vs [\\d.]+");
        assertThat(run.runDir().resolve("comparison.html")).exists();
        assertThat(SuiteRun.attachmentNames(run.runSummary())).anyMatch(n -> n.startsWith("comparison with Baseline["));
    }

    @Test
    void anUnschedulableVmBreaksTheTestWithKubeVirtsReasonAndDiagnostics() {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k,64k", "vmbench.concurrency", "1", "vmbench.embedded.faults", "unschedulable"));

        // then: after the grace for a transient state, the first test carries the scheduler's message; the second
        // fails at once without provisioning again
        assertThat(run.test("random-rw 4k").getThrowable()).get().asString()
                .containsPattern("VM group embedded-local small 1Gi x1 could not be provisioned: VM vmbench/vmb-\\S+ "
                        + "stayed in \\[ErrorUnschedulable\\] for more than 3s \\(vmbench.transientGrace\\): "
                        + "PodScheduled Unschedulable — 0/3 nodes are available: 3 Insufficient memory.\\. Fix: the "
                        + "scheduler cannot place the VM's pod");
        assertThat(run.test("random-rw 64k").getThrowable()).get().asString()
                .contains("failed to provision for an earlier test, so this one did not run");
        List<JsonNode> allure = run.testResults();
        assertThat(allure).extracting(r -> r.path("status").asText()).containsExactly("broken", "broken");
        assertThat(allure).allSatisfy(r -> assertThat(Categories.of(r))
                .containsExactly("Provisioning failure (cluster could not create or start the VMs)"));
        assertThat(allure).anyMatch(r -> SuiteRun.attachmentNames(r).contains("events.txt"));
        assertThat(Files.exists(run.runDir().resolve("provisioning.log"))).isFalse();
    }

    @ParameterizedTest(name = "volumeMode setting [{0}] gives {1}")
    @CsvSource({"'',Block", "Filesystem,Filesystem"})
    void theDataDiskTakesTheStorageProfilesVolumeModeUnlessOneIsSet(String setting, String expected) throws IOException {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("vmbench.profiles", "lite-db-oltp",
                "vmbench.concurrency", "1"));
        if (!setting.isEmpty()) {
            settings.put("vmbench.volumeMode", setting);
        }
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, settings);

        assertThat(run.test("lite-db-oltp native").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        try (var manifests = Files.list(run.runDir().resolve("manifests/small-1gi-x1-773981"))) {
            Path pvc = manifests.filter(f -> f.toString().endsWith(".pvc.yaml")).findFirst().orElseThrow();
            assertThat(Files.readString(pvc)).contains("volumeMode: " + expected + "\n")
                    .as("access modes from the same StorageProfile entry").contains("    - ReadWriteMany\n");
        }
    }

    @Test
    void anAdmissionErrorSurfacesInTheDryRunBeforeAnythingIsCreated() throws IOException {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "lite-db-oltp",
                "vmbench.concurrency", "2", "vmbench.embedded.faults", "admission-denies"));

        assertThat(run.test("lite-db-oltp native").getThrowable()).get().asString().containsPattern(
                "could not be provisioned: server-side dry run of create VirtualMachine vmbench/vmb-\\S+-0 failed: HTTP "
                        + "422: admission webhook .virtualmachine-validator.kubevirt.io. denied the request: .*Fix: the "
                        + "cluster rejects the manifest");
        // the dry run of VM 0 failed before any real create: the diagnostics found nothing of the group
        String diagnostics = Files.readString(run.runDir().resolve("small-1gi-x2-889fba/diagnostics/events.txt"));
        assertThat(diagnostics).isEqualTo("(no events)");
        try (var files = Files.list(run.runDir().resolve("small-1gi-x2-889fba/diagnostics"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("events.txt");
        }
    }

    @Test
    void aVmServiceAccountThatMayNotCloneFailsTheDryRunNamingTheBindingThatFixesIt() {
        // when: the run's identity may clone from the DataSource's namespace, the VMs' ServiceAccount may not
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "lite-db-oltp",
                "vmbench.concurrency", "1", "vmbench.embedded.faults", "datasource-sa-denied"));

        // then
        assertThat(run.test("lite-db-oltp native").getThrowable()).get().asString().containsPattern(
                "server-side dry run of create VirtualMachine vmbench/vmb-\\S+-0 failed: HTTP 422: admission webhook "
                        + "\"virtualmachine-validator.kubevirt.io\" denied the request: Authorization failed, message "
                        + "is: User system:serviceaccount:vmbench:default has insufficient permissions in clone source "
                        + "namespace openshift-virtualization-os-images\\. Fix: KubeVirt checks the clone from the "
                        + "DataSource for the ServiceAccount the VMs run as \\(default in namespace vmbench\\), not for "
                        + "this identity: bind the Role vmbench-datasource in namespace "
                        + "openshift-virtualization-os-images to ServiceAccount vmbench/default \\(RoleBinding "
                        + "vmbench-datasource-vms of docs/vmbench-role.yaml\\)\\.");
    }

    @Test
    void aFailingFioBreaksTheTestWithFiosOwnMessage() {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1", "vmbench.embedded.faults", "fio-fails"));

        assertThat(run.test("random-rw 4k").getThrowable()).get().asString()
                .containsPattern("fio failed on VM vmb-\\S+ \\(failed, exit 1\\) laying out the test file for "
                        + "random-rw 4k; fio said: \\[fio: io_u error on file vmbench.dat: Input/output error: write "
                        + "offset=0, buflen=4096\\]. Fix: see the attached guest diagnostics.");
        assertThat(run.testResults()).singleElement().satisfies(r -> {
            assertThat(r.path("status").asText()).isEqualTo("broken");
            assertThat(SuiteRun.attachmentNames(r)).anyMatch(name -> name.endsWith("-guest-diagnose.txt"));
            assertThat(Categories.of(r)).containsExactly("fio failure (fio exited with an error or printed no result)");
        });
    }

    @Test
    void aGuestWithAnotherHostKeyIsRefused() {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, Map.of("vmbench.profiles", "lite-db-oltp",
                "vmbench.concurrency", "1", "vmbench.embedded.faults", "wrong-host-key"));

        assertThat(run.test("lite-db-oltp native").getThrowable()).get().asString()
                .containsPattern("VM vmb-\\S+ was refused during the SSH key exchange: it presented host key "
                        + "SHA256:\\S+ but the harness gave it SHA256:\\S+ through cloud-init");
        assertThat(run.testResults()).singleElement().satisfies(r -> {
            assertThat(r.path("status").asText()).isEqualTo("broken");
            assertThat(Categories.of(r)).contains("Guest / SSH failure (the harness could not talk to a VM)");
        });
    }
}
