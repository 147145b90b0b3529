package dev.vmbench.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The lines a person watching the console reads: a heartbeat while a test runs, one line when it ends. */
class ProgressTest {

    @Test
    void aRunningTestBeatsAndAFinishedOneSaysWhereTheRunIs() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Progress progress = new Progress(2, Duration.ofSeconds(120), Duration.ofMillis(50), lines::add)) {
            // when: the first of two tests runs for a while
            progress.started("gold small 50Gi x1 · random-rw 4k", Duration.ofSeconds(60));

            // then: heartbeats, and after it ends, its verdict with what is left
            await("a heartbeat").atMost(Duration.ofSeconds(5)).until(() -> !lines.isEmpty());
            assertThat(lines.get(0)).isEqualTo("[1/2] still running gold small 50Gi x1 · random-rw 4k: 0:00 of about "
                    + "1:00 of fio");
            progress.finished("gold small 50Gi x1 · random-rw 4k", "passed", "1234 IOPS, worst p99 2.00 ms",
                    Duration.ofSeconds(60));
            int afterFinish = lines.size();
            assertThat(lines.get(afterFinish - 1)).matches("\\[1/2\\] passed gold small 50Gi x1 · random-rw 4k — 1234 "
                    + "IOPS, worst p99 2.00 ms — 0:00 elapsed, about 0:00 left");
            // the heartbeat stops with the test
            await("no beat after the end").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                    .until(() -> lines.size() == afterFinish);
        }
    }

    @Test
    void whileItsGroupIsProvisionedATestSaysSoInsteadOfCountingFioTime() {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (Progress progress = new Progress(1, Duration.ofSeconds(4), Duration.ofMillis(50), lines::add)) {
            // when: the first test of a group waits for its VMs to boot
            progress.started("gold small 50Gi x1 · random-rw 4k", Duration.ofSeconds(4));
            progress.provisioning("gold small 50Gi x1");

            // then
            await("a provisioning heartbeat").atMost(Duration.ofSeconds(5)).until(() -> lines.stream()
                    .anyMatch(l -> l.startsWith("[1/1] provisioning ")));
            assertThat(lines.get(lines.size() - 1)).isEqualTo("[1/1] provisioning gold small 50Gi x1 for gold small "
                    + "50Gi x1 · random-rw 4k: 0:00 so far (clone, boot, cloud-init)");

            // and once the group is ready, the beat counts fio time again
            progress.provisioned();
            int before = lines.size();
            await("a fio heartbeat").atMost(Duration.ofSeconds(5)).until(() -> lines.size() > before + 1);
            assertThat(lines.get(lines.size() - 1)).isEqualTo("[1/1] still running gold small 50Gi x1 · random-rw 4k: "
                    + "0:00 of about 0:04 of fio");
        }
    }

    @Test
    void clockReadsMinutesAndHours() {
        assertThat(Progress.clock(Duration.ofSeconds(75))).isEqualTo("1:15");
        assertThat(Progress.clock(Duration.ofSeconds(3725))).isEqualTo("1:02:05");
    }
}
