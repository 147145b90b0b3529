package dev.vmbench.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.matrix.BlockSize;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** What a run's folder says at any instant: never a pass before the end, the same verdicts in checkpoint and summary. */
class ResultStoreTest {

    private static final VmGroupSpec GROUP = new VmGroupSpec("gold", VmSize.parse("small"), "10Gi", 1);
    private static final FioPermutation A = new FioPermutation("random-rw", BlockSize.parse("4k"));
    private static final FioPermutation B = new FioPermutation("random-rw", BlockSize.parse("64k"));

    @TempDir
    Path dir;

    private static FioRun run(FioPermutation permutation) {
        Duration d = Duration.ofMillis(1);
        return new FioRun(GROUP, permutation, Map.of("vm-0", "{}"), List.of(new FioMetrics("vm-0", "rand-read", 0,
                "read", 100, 1000, 4096000, 0, 0, 0, 0, 0, 2e6, 0, 0, 0, 1000, 0, 0, 0)), new RunTimings(d, d, d, d, d, d,
                        0));
    }

    private JsonNode summary(ResultStore store) throws IOException {
        return new ObjectMapper().readTree(store.dir().resolve("summary.json").toFile());
    }

    @Test
    void aRunSaysIncompleteWithItsCountsUntilItEnds() throws IOException {
        // given
        ResultStore store = ResultStore.create(dir, "run-1");
        store.plan(2, "StorageClass(es) gold");

        // when: one of two tests passed, the other not yet run
        store.writeRun(run(A));
        store.writeOutcome(GROUP, A, "passed", null);

        // then: a reader of the file cannot take it for a pass
        assertThat(summary(store).path("status").asText()).isEqualTo("incomplete");
        assertThat(summary(store).path("planned").asInt()).isEqualTo(2);
        assertThat(summary(store).path("finished").asInt()).isEqualTo(1);

        // and at the end, the verdict
        store.end();
        assertThat(summary(store).path("status").asText()).isEqualTo("passed");
    }

    /** Where a session may be killed while it records test B (test A is recorded whole before). */
    enum Kill { AFTER_RESULTS, AFTER_SUMMARY, AFTER_CHECKPOINT }

    @ParameterizedTest(name = "killed {0}")
    @EnumSource(Kill.class)
    void aKillAtAnyStepLeavesCheckpointAndSummaryAgreeingOnceResumed(Kill kill) throws IOException {
        // given: a session that recorded A, then B up to the kill
        ResultStore first = ResultStore.create(dir, "run-1");
        first.writePlan(Map.of("run", "run-1"));
        first.plan(2, "StorageClass(es) gold");
        first.writeRun(run(A));
        first.writeOutcome(GROUP, A, "passed", null);
        first.writeRun(run(B));
        if (kill != Kill.AFTER_RESULTS) {
            first.writeOutcome(GROUP, B, "failed", "missed a threshold");
        }
        if (kill == Kill.AFTER_SUMMARY) {
            // the summary was replaced, the checkpoint line never appended
            Path checkpoint = first.dir().resolve("checkpoint");
            List<String> lines = Files.readAllLines(checkpoint);
            Files.write(checkpoint, lines.subList(0, lines.size() - 1));
        }

        // when: the killed JVM's lock went with it
        first.close();
        ResultStore resumed = ResultStore.resume(dir, "run-1");

        // then: every verdict the summary holds is one the checkpoint holds, and only those are finished
        Map<String, String> inSummary = new HashMap<>();
        summary(resumed).path("permutations").forEach(p -> {
            if (p.has("outcome")) {
                inSummary.put(p.path("key").asText(), p.path("outcome").asText());
            }
        });
        Map<String, String> inCheckpoint = new HashMap<>();
        resumed.lines("checkpoint").forEach(l -> inCheckpoint.put(l.split(" ")[0], l.split(" ")[1]));
        assertThat(inCheckpoint).isEqualTo(inSummary);
        String a = GROUP.slug() + "/" + A.slug();
        String b = GROUP.slug() + "/" + B.slug();
        assertThat(resumed.finished()).isEqualTo(kill == Kill.AFTER_RESULTS ? java.util.Set.of(a)
                : java.util.Set.of(a, b));
        assertThat(summary(resumed).path("status").asText()).as("a resumed run is not over").isEqualTo("incomplete");
    }

    @Test
    void aSecondJvmOnTheSameRunIsRefusedNamingTheHolderAndADeadHoldersLockIsTakenOver() throws Exception {
        // given: a run folder whose lock another JVM holds
        ResultStore mine = ResultStore.create(dir, "run-1");
        mine.writePlan(Map.of("run", "run-1"));
        mine.close();
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RunLockHolder.class.getName(), dir.resolve("run-1").toString())
                .redirectErrorStream(true).start();
        try {
            java.io.BufferedReader said = new java.io.BufferedReader(new java.io.InputStreamReader(
                    other.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            assertThat(said.readLine()).isEqualTo("holding");

            // when / then: a resume is refused, naming that JVM
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ResultStore.resume(dir, "run-1"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("Run folder " + dir.resolve("run-1").toAbsolutePath() + " is in use by "
                            + "another vmbench run (host ")
                    .hasMessageContaining(", pid " + other.pid() + ", started ")
                    .hasMessageEndingWith("two runs on one folder would delete each other's VMs and interleave their "
                            + "results. Fix: wait for that run to end (or stop it), or start a new run instead of "
                            + "resuming this one.");
        } finally {
            // a holder killed outright releases nothing itself: the operating system drops its lock
            other.destroyForcibly();
            assertThat(other.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        assertThat(Files.readString(dir.resolve("run-1/run.lock"))).contains("pid " + other.pid());
        ResultStore resumed = ResultStore.resume(dir, "run-1");
        assertThat(Files.readString(dir.resolve("run-1/run.lock"))).contains("pid " + ProcessHandle.current().pid());
        resumed.close();
    }

    /** Another JVM that takes a run folder's lock and holds it until it is killed. */
    public static final class RunLockHolder {
        public static void main(String[] args) throws Exception {
            RunLock.take(Path.of(args[0]));
            System.out.println("holding");
            System.out.flush();
            new java.util.concurrent.CountDownLatch(1).await();
        }
    }
}
