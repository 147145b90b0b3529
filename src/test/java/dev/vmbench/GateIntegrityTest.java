package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * A green verdict means storage was measured and met its limits: runs that would measure nothing, or less than their
 * job asks, never pass. On the embedded cluster, with real fio.
 */
class GateIntegrityTest {

    @TempDir
    Path dir;

    private static Map<String, String> plan(String... more) {
        Map<String, String> settings = new HashMap<>(Map.of("vmbench.profiles", "random-rw", "vmbench.blockSizes", "4k",
                "vmbench.concurrency", "2"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    private static String failure(SuiteRun run) {
        return run.tests().values().stream().filter(r -> r.getThrowable().isPresent()).findFirst()
                .flatMap(TestExecutionResult::getThrowable).map(Throwable::getMessage)
                .orElseThrow(() -> new AssertionError("nothing failed in " + run.tests().keySet()));
    }

    @Test
    void anEmptyPoolStopsTheRunNamingTheKeyInsteadOfRunningTheEmbeddedCluster() {
        // when: -Dpool=$POOL with the variable unset
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("pool", ""));

        // then
        assertThat(failure(run)).isEqualTo("Setting pool (env VMBENCH_POOL) = [] is set but empty (an unset CI "
                + "variable, as in -Dpool=$VAR?): an empty setting is never read as its default, since an empty pool "
                + "would run the embedded cluster and measure no StorageClass. Fix: give the StorageClass to measure "
                + "(-Dpool=<StorageClass>), or leave pool out entirely to run the embedded cluster on purpose.");
        assertThat(dir.resolve("results")).doesNotExist();
    }

    @Test
    void anUnknownEmbeddedFaultIsAWrongSettingNotAnUnreachableCluster() {
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.embedded.faults", "fio-fails,disk-on-fire"));

        assertThat(failure(run)).startsWith("Setting vmbench.embedded.faults (env VMBENCH_EMBEDDED_FAULTS) = "
                + "[fio-fails,disk-on-fire]: Embedded fault [disk-on-fire] is unknown. Fix: use one of unschedulable, ")
                .endsWith(" in -Dvmbench.embedded.faults.").doesNotContain("reach");
    }

    @Test
    void aFilterThatSelectsNothingFailsTheRunAsNotRun() throws IOException {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.filter", "nomatch:*"));

        // then: no test passed, the build fails with one line, and the summary says nothing was run
        assertThat(run.tests().values()).noneMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        String why = "No storage test was run: vmbench.filter [nomatch:*] / vmbench.exclude [] select none of the "
                + "run's tests (pool:size:pvc:concurrency:profile:bs, e.g. embedded-local:small:1Gi:2:random-rw:*; a "
                + "capability check is pool:size:pvc:concurrency:capability:<name>), so nothing was measured. Fix: a "
                + "filter that matches at least one test (the run's tests are listed by -Dvmbench.dryRun=true in "
                + "plan.txt).";
        assertThat(failure(run)).isEqualTo(why);
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("not run");
        assertThat(summary.path("why").asText()).isEqualTo(why);
        assertThat(summary.path("cluster").asText()).isEqualTo("embedded cluster: simulated, no StorageClass measured");
    }

    @Test
    void aRunSaysIncompleteUntilItEndsAndNamesTheEmbeddedClusterWhenItDoes() throws IOException {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.concurrency", "1"));

        // then: the checkpoint's verdict was written while summary.json still said incomplete; at the end, the verdict
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("passed");
        assertThat(summary.path("planned").asInt()).isEqualTo(1);
        assertThat(summary.path("finished").asInt()).isEqualTo(1);
        assertThat(Files.readString(run.runDir().resolve("summary.html")))
                .contains("(embedded cluster: simulated, no StorageClass measured)");
        assertThat(Files.readString(run.allureDir().resolve("environment.properties")))
                .contains("cluster=embedded cluster: simulated, no StorageClass measured (sandbox guests)");
    }

    @Test
    void aVmThatDidNoWritesFailsTheTestNamingTheVmAndTheSection() {
        // when: the first VM's fio completes no write I/O
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.embedded.faults", "fio-no-writes"));

        // then: failed (the storage did not do what was asked), not passed on the other VM's numbers
        TestExecutionResult result = run.test("random-rw 4k");
        assertThat(result.getThrowable()).get().isInstanceOf(AssertionError.class).asString().containsPattern(
                "embedded-local small 1Gi x2 / random-rw 4k \\(2 VMs\\) did not measure what its job asks for on every "
                        + "VM, so no limit can be judged for them:\\R  - VM vmb-\\S+-0 completed no write I/O in job "
                        + "section rand-write, which asks for write\\REvery VM must complete I/O in every job section and direction its job asks for, "
                        + "without an I/O error. Fix: ")
                .doesNotContain("-1 completed");
    }

    @Test
    void fiosOwnIoErrorsFailTheTestNamingTheVm() {
        // when: the first VM's storage fails three I/Os that fio goes on past, exiting 0
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.embedded.faults", "fio-io-errors"));

        // then
        assertThat(run.test("random-rw 4k").getThrowable()).get().isInstanceOf(AssertionError.class).asString()
                .containsPattern("did not measure what its job asks for on every VM, so no limit can be judged for "
                        + "them:\\R  - 3 I/O error\\(s\\) \\(total_err, first_error 5\\) in job rand-read on VM "
                        + "vmb-\\S+-0\\R");
    }

    @Test
    void aVmThatBeganMeasuringLateIsSeenByWhatFioMeasuredNotByWhenItWasLaunched() throws IOException {
        // when: both VMs' fio launched at one instant, the first measuring 500 ms after the other (one phase, 2 s)
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.profiles", "lite-mixed-70-30",
                "vmbench.runtime", "2s", "vmbench.embedded.faults", "late-start"));

        // then: the spread is the known 500 ms within 20 %, the overlap the 1.5 s both measured of the 2.5 s either
        // did (60 %), and the test breaks: no concurrent measurement
        List<String> timings = Files.readAllLines(run.runDir().resolve("timings.csv"));
        List<String> header = List.of(timings.get(0).split(","));
        String[] row = timings.get(1).split(",");
        assertThat(Long.parseLong(row[header.indexOf("start_spread_ms")])).isBetween(400L, 600L);
        assertThat(Double.parseDouble(row[header.indexOf("overlap_pct")])).isCloseTo(60.0, within(8.0));
        assertThat(run.test("lite-mixed-70-30 4k").getThrowable()).get().isInstanceOf(IllegalStateException.class)
                .asString().contains("the VMs did not measure together");
    }

    @Test
    void aGuestThatAnswersBeyondTheBoundBreaksTheTestNamingTheLimit() throws IOException {
        // when: the first VM's 'result' goes on for 70 MiB
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.embedded.faults", "guest-floods"));

        // then: broken (the harness could not read the guest), naming the VM, the command, the stream and the limit;
        // the run goes on to its end and its summary
        assertThat(run.test("random-rw 4k").getThrowable()).get().isNotInstanceOf(AssertionError.class).asString()
                .containsPattern("VM vmb-\\S+-0 answered \\[vmbench-guest result\\] with more than 64 MiB on stdout, "
                        + "the most vmbench reads of one answer from a guest; the rest was not read. Fix: see "
                        + "'vmbench-guest diagnose' on that VM");
        assertThat(SuiteRun.json(Files.readString(run.runDir().resolve("summary.json"))).path("status").asText())
                .isEqualTo("broken");
    }

    @Test
    void aBaselineThatSharesNoTestWithTheRunIsRefusedNamingWhatItHolds() throws IOException {
        // given: an earlier run of another profile
        SuiteRun earlier = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("earlier"), plan("vmbench.profiles",
                "lite-db-oltp", "vmbench.concurrency", "1"));

        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("now"), plan("vmbench.concurrency", "1",
                "vmbench.baseline", earlier.runDir().toString()));

        // then
        assertThat(failure(run)).isEqualTo("Baseline [" + earlier.runDir().resolve("summary.json") + "] shares no "
                + "test with this run, so nothing would be compared and no regression could be found: it holds "
                + "pool(s) [embedded-local] and 1 test(s) [embedded-local small 1Gi x1 / lite-db-oltp native], this "
                + "run has pool(s) [embedded-local] and tests [embedded-local small 1Gi x1 / random-rw 4k]. Fix: run "
                + "the matrix the baseline measured (the same pools, VM sizes, PVC sizes, concurrency, profiles and "
                + "block sizes), or leave out -Dvmbench.baseline.");
    }

    @Test
    void aBaselineThatSharesSomeTestsListsTheOthersAsNotCompared() throws IOException {
        // given
        SuiteRun earlier = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("earlier"), plan("vmbench.concurrency",
                "1"));

        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("now"), plan("vmbench.concurrency", "1",
                "vmbench.profiles", "random-rw,lite-db-oltp", "vmbench.baseline", earlier.runDir().toString()));

        // then
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("notCompared")).extracting(JsonNode::asText)
                .containsExactly("embedded-local small 1Gi x1 / lite-db-oltp native");
    }
}
