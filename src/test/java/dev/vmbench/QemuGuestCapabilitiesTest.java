package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * The suite on a real guest: the embedded cluster boots Debian under QEMU with the VM's own cloud-init Secret, and the
 * harness takes the path it takes on a real cluster — readiness, cloud-init's own wait, the data disk by its serial,
 * fio under systemd on the virtio disk, collection, cleanup — while {@link StorageCapabilitiesIT} snapshots and
 * restores QEMU's disk images, grows the disk with QEMU's {@code block_resize} seen by the guest's virtio-blk, and
 * live-migrates the guest with QEMU's own migration to a second QEMU process sharing the disks, under fio. One boot
 * serves both (each boot under emulation costs minutes); the clone is left to the sandbox tests: it copies a stopped
 * VM's disk and never touches the guest. The restore's cold boot is also the guest's restart: cloud-init's
 * per-instance runcmd does not run again, so only fstab mounts the data disk, and the integrity check refuses to
 * read unless the data dir is that disk's mount point.
 */
@EnabledIf(value = "dev.vmbench.embedded.GuestImage#qemuInstalled", disabledReason = "qemu-system-x86_64 is not installed")
class QemuGuestCapabilitiesTest {

    /** cloud-init's own last line, on the serial console: "Cloud-init v. 22.4.2 finished at Mon, 23 Nov 2026 …". */
    private static final Pattern CLOUD_INIT_FINISHED = Pattern.compile(
            "Cloud-init v\\. \\S+ finished at (\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4})");

    @TempDir
    Path dir;

    @Test
    void aRealGuestBootsRunsFioOnItsVirtioDiskAndIsSnapshottedRestoredExpandedAndLiveMigrated() throws IOException {
        // when: the migration also stops the guest for a known 1 s over QMP (stop, then cont) before it migrates
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.guests", "qemu",
                "vmbench.embedded.faults", "migration-pause", "vmbench.exclude", "*:*:*:*:capability:clone"));

        // then: the guest's own kernel, and the data dir on the virtio disk with the VM's serial
        Path group;
        try (java.util.stream.Stream<Path> dirs = Files.list(run.runDir())) {
            group = dirs.filter(d -> Files.isDirectory(d.resolve("sysinfo"))).findFirst().orElseThrow();
        }
        String sysinfo;
        try (java.util.stream.Stream<Path> files = Files.list(group.resolve("sysinfo"))) {
            sysinfo = Files.readString(files.findFirst().orElseThrow());
        }
        assertThat(sysinfo).containsPattern("(?m)^kernel: 6\\.\\d+\\.\\d+.*amd64$")
                .containsPattern("(?m)^data-device: /dev/vd[b-z] \\(serial [a-z0-9-]+\\)$")
                .contains("data-driver: virtio_blk");
        // the serial console with cloud-init's own finish time; the group was ready only after it
        String console;
        try (java.util.stream.Stream<Path> files = Files.list(group.resolve("console"))) {
            console = Files.readString(files.findFirst().orElseThrow());
        }
        Matcher finished = CLOUD_INIT_FINISHED.matcher(console);
        assertThat(finished.find()).as("cloud-init's finish line on the console").isTrue();
        Instant cloudInitDone = ZonedDateTime.parse(finished.group(1), DateTimeFormatter.RFC_1123_DATE_TIME)
                .toInstant();
        String provisioned = Files.readAllLines(run.runDir().resolve("provisioning.log")).get(0);
        assertThat(Instant.parse(provisioned.substring(0, provisioned.indexOf(' ')))).as("the group's ready time")
                .isAfterOrEqualTo(cloudInitDone);
        // fio ran in the guest under systemd and wrote real JSON (the migration's load)
        JsonNode migrationTest = run.testResults().stream().filter(r -> r.path("name").asText()
                .startsWith("migration")).findFirst().orElseThrow();
        JsonNode fio = SuiteRun.json(SuiteRun.attachments(migrationTest).stream().filter(a -> a.path("name").asText()
                .endsWith("-migration-fio.json")).map(run::attachment).findFirst().orElseThrow());
        assertThat(fio.path("fio version").asText()).startsWith("fio-3.");
        assertThat(fio.at("/jobs/0/write/io_bytes").asLong()).isPositive();
        // nothing a reviewer reads holds a private key (the console shows only the host key's public half)
        assertThat(run.testResults()).allSatisfy(test -> assertThat(SuiteRun.attachments(test))
                .allSatisfy(a -> assertThat(run.attachment(a)).doesNotContain("PRIVATE KEY")));

        // then: every check it ran passed
        for (String test : List.of("snapshot", "restore", "expansion", "migration")) {
            assertThat(run.test(test + "(StorageCapabilities)").getStatus()).as(test)
                    .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        }
        JsonNode checks = SuiteRun.json(Files.readString(run.runDir().resolve("capabilities.json")))
                .path("storageClasses").path("embedded-local").path("checks");
        // the file synced before the snapshot read back from the restored disk image, mounted by fstab after a cold
        // boot from it
        assertThat(checks.at("/restore/details/restored-claim").asText()).startsWith("restore-");
        // the guest's block device grew by exactly the PVC's growth: virtio-blk's new capacity
        long before = checks.at("/expansion/details/guest-bytes-before").asLong();
        assertThat(checks.at("/expansion/details/guest-bytes-after").asLong()).isEqualTo(before + (1L << 30));
        // the same kernel kept running on another QEMU process, reached at its new address
        JsonNode migration = checks.at("/migration/details");
        assertThat(migration.path("guest-kept-running").asText()).isEqualTo("yes");
        assertThat(migration.path("ssh-reconnects").asInt()).isPositive();
        assertThat(migration.path("target-node").asText()).isNotEqualTo(migration.path("source-node").asText());
        // the outside saw no write complete for the second QEMU was stopped, within 20 % plus one of the probe's own
        // synced writes under emulation (up to 300 ms here); the guest's own clock stopped with it, so fio's logs
        // inside the guest cannot see that second
        assertThat(migration.path("io-stall-ms").asLong()).isBetween(800L, 1500L);
        // the switch-over ended the tunnel to the source QEMU: the time the probe could not watch is reported apart
        assertThat(migration.path("io-unseen-ms").asLong()).isPositive();
        assertThat(migration.path("guest-io-stall-ms").asLong()).isLessThan(800L);
    }
}
