package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/** A run stopped half-way and resumed ends with the same results as one that ran through. */
class ResumeTest {

    private static final Map<String, String> PLAN = Map.of("vmbench.profiles", "random-rw,lite-db-oltp",
            "vmbench.blockSizes", "4k", "vmbench.concurrency", "1,2");

    @TempDir
    Path dir;

    @Test
    void anInterruptedRunResumedHasTheSameResultsAsAnUninterruptedOne() throws IOException {
        // given: an uninterrupted run, and a run whose first half (the 1-VM group) finished before it stopped
        SuiteRun through = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("through"), PLAN);
        Map<String, String> firstHalf = new HashMap<>(PLAN);
        firstHalf.put("vmbench.filter", "*:*:*:1");
        firstHalf.put("vmbench.resultsDir", dir.resolve("results").toString());
        SuiteRun interrupted = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("interrupted"), firstHalf);
        String runId = interrupted.runDir().getFileName().toString();

        // when: the same run is resumed with the whole plan
        Map<String, String> resume = new HashMap<>(PLAN);
        resume.put("vmbench.resultsDir", dir.resolve("results").toString());
        resume.put("vmbench.resume", runId);
        SuiteRun resumed = SuiteRun.of(StorageBenchmarkIT.class, dir.resolve("resumed"), resume);

        // then: only the second half ran, in the same run folder, and the results match the uninterrupted run's
        assertThat(resumed.runDir().getFileName().toString()).isEqualTo(runId);
        assertThat(resumed.tests().values()).hasSize(2)
                .allMatch(r -> r.getStatus() == TestExecutionResult.Status.SUCCESSFUL);
        assertThat(Files.readAllLines(resumed.runDir().resolve("provisioning.log")))
                .as("each group provisioned once over both sessions").hasSize(2);
        assertThat(measured(resumed.runDir())).isEqualTo(measured(through.runDir())).hasSize(12);
        assertThat(Files.readAllLines(resumed.runDir().resolve("checkpoint"))).hasSize(4);
        assertThat(SuiteRun.json(Files.readString(resumed.runDir().resolve("summary.json"))).path("permutations"))
                .hasSize(4);
    }

    @Test
    void resumingARunThatDoesNotExistSaysWhereRunsAre() {
        Map<String, String> resume = new HashMap<>(PLAN);
        resume.put("vmbench.resume", "20200101-000000-abcd");
        SuiteRun run = SuiteRun.of(StorageBenchmarkIT.class, dir, resume);

        assertThat(run.tests().values()).singleElement().satisfies(r -> assertThat(r.getThrowable()).get()
                .asString().contains("Run [20200101-000000-abcd] cannot be resumed: " + dir.resolve("results")
                        .resolve("20200101-000000-abcd").toAbsolutePath() + " holds no plan.json. Fix: give "
                        + "-Dvmbench.resume the name of a run folder under " + dir.resolve("results").toAbsolutePath()));
    }

    /** What was measured, independent of run ids and VM names: dimensions, job and direction per results.csv row. */
    private static Set<String> measured(Path runDir) throws IOException {
        List<String> rows = Files.readAllLines(runDir.resolve("results.csv"));
        Set<String> keys = new TreeSet<>();
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            keys.add(String.join(",", f[1], f[2], f[3], f[4], f[5], f[6], f[8], f[9]) + " vms=" + rows.stream()
                    .skip(1).filter(r -> r.split(",")[4].equals(f[4]) && r.split(",")[5].equals(f[5])
                            && r.split(",")[8].equals(f[8]) && r.split(",")[9].equals(f[9])).count());
        }
        return keys;
    }
}
