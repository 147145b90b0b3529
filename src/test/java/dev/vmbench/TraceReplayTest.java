package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * A run's trace ({@code -Dvmbench.trace=true}) replayed on the embedded cluster
 * ({@code -Dvmbench.embedded.replay}): the recorded states drive the simulated objects, so the run breaks as the
 * recorded one did, with the same message; the trace holds no secret of the run.
 */
class TraceReplayTest {

    @TempDir
    Path recorded;

    @TempDir
    Path replayed;

    @Test
    void anUnschedulableRunReplaysToTheSameVerdictAndMessageAndItsTraceHoldsNoSecret() throws IOException {
        // given: a run whose VM the scheduler cannot place, traced, its SSH key kept to look for
        Map<String, String> settings = Map.of("vmbench.profiles", "lite-db-oltp", "vmbench.concurrency", "1",
                "vmbench.transientGrace", "3s");
        SuiteRun original = SuiteRun.of(StorageBenchmarkIT.class, recorded, with(settings, "vmbench.embedded.faults",
                "unschedulable", "vmbench.trace", "true", "vmbench.keepKeys", "true"));
        Path trace = original.runDir().resolve("trace.jsonl.gz");
        assertThat(trace).isRegularFile();
        String lines = gunzip(trace);
        assertThat(lines).contains("\"kind\":\"VirtualMachineInstance\"", "\"reason\":\"Unschedulable\"");

        // when: the trace drives the embedded cluster, with no fault of its own
        SuiteRun replay = SuiteRun.of(StorageBenchmarkIT.class, replayed, with(settings, "vmbench.embedded.replay",
                trace.toString()));

        // then: broken as the recorded run was, with the same message but for the run's own names
        assertThat(replay.test("lite-db-oltp native").getStatus()).isEqualTo(original.test("lite-db-oltp native")
                .getStatus());
        assertThat(anonymous(message(replay))).isEqualTo(anonymous(message(original)))
                .contains("stayed in [ErrorUnschedulable]");
        // and no secret of the run is in the trace: not its SSH key, not the VMs' cloud-init user data
        try (Stream<Path> keys = Files.list(original.runDir().resolve("ssh"))) {
            for (Path key : keys.toList()) {
                for (String line : Files.readAllLines(key)) {
                    if (line.length() > 20 && !line.startsWith("-----")) {
                        assertThat(lines).as(key.getFileName().toString()).doesNotContain(line.split(" ")[line
                                .startsWith("ssh-") ? 1 : 0]);
                    }
                }
            }
        }
        assertThat(lines).doesNotContainIgnoringCase("userdata").doesNotContain("#cloud-config");
    }

    private static Map<String, String> with(Map<String, String> settings, String... more) {
        Map<String, String> all = new java.util.HashMap<>(settings);
        for (int i = 0; i < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return all;
    }

    private static String message(SuiteRun run) {
        return run.test("lite-db-oltp native").getThrowable().orElseThrow().getMessage();
    }

    /** The message with each run's own names (run id, VM, group) made alike. */
    private static String anonymous(String message) {
        return message.replaceAll("vmb-[0-9a-f]{6}-[\\w.-]*?-(\\d+)\\b", "vmb-RUN-$1")
                .replaceAll("\\b\\d{8}-\\d{6}-[0-9a-f]+\\b", "RUN");
    }

    private static String gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
