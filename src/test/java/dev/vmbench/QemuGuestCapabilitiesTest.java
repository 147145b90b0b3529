package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * {@link StorageCapabilitiesIT} on a real guest: the snapshot and restore copy and bring back QEMU's disk images,
 * (the clone is left to the sandbox tests: it copies a stopped VM's disk and never touches the guest, and one more
 * boot under emulation costs minutes),
 * the expansion is QEMU's {@code block_resize} seen by the guest's virtio-blk, and the live migration is QEMU's own
 * migration to a second QEMU process sharing the disks, while fio runs in the guest. The restore's cold boot is also
 * the guest's restart: cloud-init's per-instance runcmd does not run again, so only fstab mounts the data disk, and
 * the integrity check refuses to read unless the data dir is that disk's mount point.
 */
@EnabledIf(value = "dev.vmbench.embedded.GuestImage#qemuInstalled", disabledReason = "qemu-system-x86_64 is not installed")
class QemuGuestCapabilitiesTest {

    @TempDir
    Path dir;

    @Test
    void aRealGuestIsSnapshottedRestoredExpandedAndLiveMigrated() throws IOException {
        // when: the migration also stops the guest for a known 1 s over QMP (stop, then cont) before it migrates
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.guests", "qemu",
                "vmbench.embedded.faults", "migration-pause", "vmbench.exclude", "*:*:*:*:capability:clone"));

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
        // the outside saw no write complete for the second QEMU was stopped, within 20 %; the guest's own clock
        // stopped with it, so fio's logs inside the guest cannot see that second
        assertThat(migration.path("io-stall-ms").asLong()).isBetween(800L, 1200L);
        // the switch-over ended the tunnel to the source QEMU: the time the probe could not watch is reported apart
        assertThat(migration.path("io-unseen-ms").asLong()).isPositive();
        assertThat(migration.path("guest-io-stall-ms").asLong()).isLessThan(800L);
    }
}
