package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.TestExecutionResult;

/**
 * The guest channel under trouble, on the embedded cluster with real SSH and real fio: a late sshd, a session
 * dropped while fio runs, a fio that never ends, and every connector.
 */
class GuestChannelSuiteTest {

    private static final Map<String, String> ONE_VM_ONE_TEST = Map.of("vmbench.profiles", "random-rw",
            "vmbench.blockSizes", "4k", "vmbench.concurrency", "1");

    @TempDir
    Path dir;

    private SuiteRun run(Map<String, String> extra) {
        Map<String, String> settings = new java.util.HashMap<>(ONE_VM_ONE_TEST);
        settings.putAll(extra);
        return SuiteRun.of(StorageBenchmarkIT.class, dir, settings);
    }

    private static List<String> timings(SuiteRun run) throws IOException {
        return Files.readAllLines(run.runDir().resolve("timings.csv"));
    }

    @Test
    void anSshdThatComesUpLateIsWaitedFor() throws IOException {
        SuiteRun run = run(Map.of("vmbench.embedded.faults", "ssh-late"));

        assertThat(run.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        String provisioned = Files.readAllLines(run.runDir().resolve("provisioning.log")).get(0);
        int sshMillis = Integer.parseInt(provisioned.replaceAll(".*ssh=(\\d+).*", "$1"));
        assertThat(sshMillis).as("SSH became ready only after the sandbox's 3 s delay").isGreaterThanOrEqualTo(2500);
    }

    @Test
    void aSessionDroppedWhileFioRunsLosesNothing() throws IOException {
        SuiteRun run = run(Map.of("vmbench.embedded.faults", "ssh-drops", "vmbench.runtime", "2s"));

        assertThat(run.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        List<String> timings = timings(run);
        List<String> header = List.of(timings.get(0).split(","));
        assertThat(timings.get(1).split(",")[header.indexOf("reconnects")]).as("the drop happened and was survived")
                .isEqualTo("1");
        assertThat(Files.readString(run.runDir().resolve("checkpoint"))).contains("random-rw-4k passed");
    }

    @Test
    void aStartLostWithItsSessionAfterThePrefillIsReportedAsLostAndTheNextPermutationRuns() {
        // when: the session drops as the first start reaches the guest, which stays prefilled
        SuiteRun run = run(Map.of("vmbench.embedded.faults", "start-lost", "vmbench.blockSizes", "4k,64k"));

        // then: that permutation is broken as lost (not "fio failed (prefilled, exit 0)"), the next one runs
        assertThat(run.test("random-rw 4k").getThrowable()).get().extracting(Throwable::getMessage).asString()
                .matches("(?s)vmbench-guest start on VM vmb-\\S+-0 was lost with the SSH session before it reached the "
                        + "guest \\(the guest is still prefilled, and the shared start instant \\S+ has passed\\), "
                        + "so fio did not run there for this permutation: .*\\. Fix: see the SSH reconnects in the "
                        + "guest diagnostics; the next permutation starts afresh\\.")
                .doesNotContain("fio failed");
        assertThat(run.test("random-rw 64k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    @Test
    void aFioThatNeverEndsIsReportedAsATimeoutAndStopped() {
        SuiteRun run = run(Map.of("vmbench.embedded.faults", "fio-hangs", "vmbench.fioTimeoutMargin", "2s"));

        assertThat(run.test("random-rw 4k").getThrowable()).get().asString()
                .containsPattern("fio on VM vmb-\\S+ was still running after 4s \\(\\(runtime \\+ ramp\\) × sections "
                        + "\\+ file layout \\+ margin\\)");
        assertThat(run.testResults()).singleElement().satisfies(r -> {
            assertThat(r.path("status").asText()).isEqualTo("broken");
            assertThat(SuiteRun.attachmentNames(r)).anyMatch(name -> name.endsWith("-guest-diagnose.txt"));
            assertThat(Categories.of(r)).containsExactly("Timeout (guest command or fio ran past its deadline)");
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portforward", "pod", "direct"})
    void everyConnectorReachesTheGuests(String connector) throws IOException {
        SuiteRun run = run(Map.of("vmbench.connector", connector, "vmbench.concurrency", "2"));

        assertThat(run.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(timings(run)).hasSize(2);
    }
}
