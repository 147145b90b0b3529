package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

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

/** What a run records — checkpoint, summary.json, summary.html, the report — is what happened, test by test. */
class RunRecordTest {

    @TempDir
    Path dir;

    private static Map<String, String> plan(String... more) {
        Map<String, String> settings = new HashMap<>(Map.of("vmbench.profiles", "random-rw,lite-db-oltp",
                "vmbench.blockSizes", "4k", "vmbench.concurrency", "1"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    @Test
    void aGroupThatFailsToProvisionIsRecordedAsBrokenTestsWithTheirParametersAndABrokenRun() throws IOException {
        // when
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.embedded.faults",
                "data-volume-failed"));

        // then: each test is broken under its own name, never initializationError
        assertThat(run.tests().keySet()).noneMatch(k -> k.contains("initializationError"));
        assertThat(run.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(run.testResults()).extracting(r -> r.path("name").asText() + " " + r.path("status").asText())
                .containsExactlyInAnyOrder("embedded-local small 1Gi x1 · random-rw 4k broken",
                        "embedded-local small 1Gi x1 · lite-db-oltp native broken");
        assertThat(run.testResults()).allSatisfy(r -> assertThat(SuiteRun.parameter(r, "profile")).isNotNull());
        assertThat(Files.readAllLines(run.runDir().resolve("checkpoint"))).extracting(l -> l.split(" ")[1])
                .containsExactly("broken", "broken");
        JsonNode summary = SuiteRun.json(Files.readString(run.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("broken");
        assertThat(summary.path("tests").path("broken").asInt()).isEqualTo(2);
        assertThat(summary.path("permutations")).allSatisfy(p -> assertThat(p.path("why").asText())
                .containsPattern("(could not be provisioned|failed to provision for an earlier test, so this one did not "
                        + "run): DataVolume vmbench/"));
        assertThat(Files.readString(run.runDir().resolve("summary.html"))).contains("Tests that did not pass")
                .contains("random-rw 4k").contains("lite-db-oltp native").contains("Unable to clone");
        assertThat(run.runSummary().path("status").asText()).isEqualTo("broken");
    }

    @Test
    void aResumedRunRefusesChangedSettingsNamingEachOne() throws IOException {
        // given
        SuiteRun first = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("first"), plan(
                "vmbench.resultsDir", dir.resolve("results").toString(), "vmbench.filter", "*:*:*:*:random-rw"));
        String runId = first.runDir().getFileName().toString();

        // when: resumed with another runtime and another block size
        SuiteRun resumed = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("resumed"), plan(
                "vmbench.resultsDir", dir.resolve("results").toString(), "vmbench.resume", runId,
                "vmbench.runtime", "2s", "vmbench.blockSizes", "64k"));

        // then
        assertThat(resumed.tests().values()).singleElement().satisfies(r -> assertThat(r.getThrowable()).get()
                .extracting(Throwable::getMessage).isEqualTo("Run [" + runId + "] cannot be resumed with other "
                        + "settings: a resumed run must measure what its first session measured, and these differ "
                        + "from its plan.json: vmbench.blockSizes was [4k], now [64k]; vmbench.runtime was [1s], now "
                        + "[2s]. Fix: resume with the run's own settings (listed under \"settings\" in its plan.json), "
                        + "or start a new run (leave out -Dvmbench.resume)."));
    }

    @Test
    void aPermutationThatBrokeAndThenPassedOnResumeCountsOnceAsPassed() throws IOException {
        // given: a first session in which fio failed on every VM
        Map<String, String> broken = plan("vmbench.resultsDir", dir.resolve("results").toString(),
                "vmbench.profiles", "random-rw", "vmbench.embedded.faults", "fio-fails");
        SuiteRun first = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("first"), broken);
        assertThat(first.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        String runId = first.runDir().getFileName().toString();

        // when: resumed on a healthy cluster
        SuiteRun resumed = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("resumed"), plan(
                "vmbench.resultsDir", dir.resolve("results").toString(), "vmbench.profiles", "random-rw",
                "vmbench.resume", runId));

        // then
        assertThat(resumed.test("random-rw 4k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        JsonNode summary = SuiteRun.json(Files.readString(resumed.runDir().resolve("summary.json")));
        assertThat(summary.path("status").asText()).isEqualTo("passed");
        assertThat(summary.path("tests").path("passed").asInt()).isEqualTo(1);
        assertThat(summary.path("tests").path("broken").asInt()).isZero();
        assertThat(summary.path("permutations")).singleElement()
                .satisfies(p -> assertThat(p.has("why")).as("no stale reason").isFalse());
    }

    @Test
    void aFilteredGroupStillGetsItsChartsFromWhatRan() throws IOException {
        // when: only one of the group's three permutations is selected
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, plan("vmbench.blockSizes", "4k,64k",
                "vmbench.filter", "*:*:*:*:random-rw:64k"));

        // then
        assertThat(run.runDir().resolve("small-1gi-x1-embedded-local").toFile().getName()).isNotEmpty();
        assertThat(Files.walk(run.runDir()).filter(p -> p.getFileName().toString().equals("chart.html")).toList())
                .hasSize(1);
        List<JsonNode> ran = run.testResults().stream().filter(r -> r.path("status").asText().equals("passed"))
                .toList();
        assertThat(ran).singleElement().satisfies(r -> assertThat(SuiteRun.attachmentNames(r))
                .contains("charts of group embedded-local small 1Gi x1 (1 permutation(s))"));
    }
}
