package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/**
 * {@link StorageCapabilitiesIT} on the embedded cluster: every check works on a StorageClass that can do it all, with
 * the matrix in the summary; each operation's fault fails its test with a message naming the operation and the fix.
 */
class StorageCapabilitiesTest {

    @TempDir
    Path dir;

    @Test
    void everyCapabilityWorksAndTheMatrixIsInTheSummary() throws IOException {
        // when: traced
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.trace", "true"));

        // then: one passed test per capability
        for (String test : List.of("snapshot", "restore", "clone", "expansion", "migration")) {
            assertThat(run.test(test + "(StorageCapabilities)").getStatus()).as(test)
                    .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        }
        // recorded as they happened, with the figures beside the times
        List<String> rows = Files.readAllLines(run.runDir().resolve("capabilities.csv"));
        assertThat(rows.get(0)).isEqualTo("run,pool,capability,outcome,seconds,details,why");
        assertThat(rows.subList(1, rows.size())).hasSize(5).allSatisfy(r -> assertThat(r)
                .contains(",embedded-local,").contains(",passed,"));
        assertThat(rows).anyMatch(r -> r.contains(",clone,passed,") && r.contains("strategy=snapshot"))
                .anyMatch(r -> r.contains(",snapshot,passed,") && r.contains("indications=Online,NoGuestAgent"))
                .anyMatch(r -> r.contains(",restore,passed,") && r.contains("restored-claim=restore-"));
        // the switch-over froze the guest for 300 ms and left virt-api's tunnel to the source pod silent: the old
        // connection never saw the guest resume (no stall of that length on it), and the session was re-opened once
        // through a new tunnel; fio's 100 ms logs inside the guest show the freeze, within one interval either side
        String migration = rows.stream().filter(r -> r.contains(",migration,")).findFirst().orElseThrow();
        assertThat(Integer.parseInt(migration.replaceAll(".*[;,\" ]io-stall-ms=(\\d+).*", "$1"))).isLessThan(240);
        assertThat(Integer.parseInt(migration.replaceAll(".*ssh-reconnects=(\\d+).*", "$1"))).isEqualTo(1);
        assertThat(Integer.parseInt(migration.replaceAll(".*guest-io-stall-ms=(\\d+).*", "$1"))).isBetween(200, 500);
        // the matrix: in capabilities.json, the summary page and the Allure run summary's page
        JsonNode matrix = SuiteRun.json(Files.readString(run.runDir().resolve("capabilities.json")));
        JsonNode pool = matrix.path("storageClasses").path("embedded-local");
        assertThat(pool.path("facts").path("accessModes").asText()).isEqualTo("ReadWriteMany");
        assertThat(pool.path("facts").path("snapshotClass").asText()).isEqualTo("embedded-local-snapshots");
        assertThat(pool.path("checks").path("expansion").path("outcome").asText()).isEqualTo("passed");
        String summary = Files.readString(run.runDir().resolve("summary.html"));
        assertThat(summary).contains("<h3>Storage capabilities</h3>", "<th>snapshot</th>", "<td>embedded-local</td>",
                "Immediate · Block · ReadWriteMany · embedded-local-snapshots");
        assertThat(SuiteRun.attachments(run.runSummary())).anySatisfy(a -> assertThat(run.attachment(a))
                .contains("<h3>Storage capabilities</h3>"));
        // each test's description says what happened; its manifests and final states are attached
        JsonNode restore = run.testResults().stream().filter(r -> r.path("name").asText().startsWith("restore"))
                .findFirst().orElseThrow();
        assertThat(restore.path("descriptionHtml").asText()).startsWith("<p><b>restore on embedded-local: passed in ");
        assertThat(SuiteRun.attachmentNames(restore)).anyMatch(n -> n.matches("restore-vmb-\\S+\\.restore\\.yaml"))
                .anyMatch(n -> n.matches("restore-vmb-\\S+\\.status\\.yaml"));
        // the snapshot's content: the VM's spec and a backup per volume, its VolumeSnapshots ready
        JsonNode snapshot = run.testResults().stream().filter(r -> r.path("name").asText().startsWith("snapshot"))
                .findFirst().orElseThrow();
        String content = SuiteRun.attachments(snapshot).stream().filter(a -> a.path("name").asText()
                .matches("vmsnapshot-content-[\\w-]+\\.content\\.yaml")).map(run::attachment).findFirst()
                .orElseThrow();
        assertThat(content).containsPattern("kind: \"?VirtualMachineSnapshotContent")
                .containsPattern("volumeName: \"?datadisk").containsPattern("volumeName: \"?rootdisk")
                .containsPattern("volumeSnapshotName: \"?vmsnapshot-[\\w-]+-volume-datadisk")
                .doesNotContain("readyToUse: false");
        // the objects the embedded cluster wrote have the shape of real ones in the same state
        EmbeddedShape.assertLikeRealObjects(run.runDir().resolve("trace.jsonl.gz"));
    }

    @Test
    void eachOperationsFaultFailsItsTestNamingTheOperationAndTheFix() {
        // when: the snapshot never gets ready (bounded by its limit), the clone fails, the resize is refused, the
        // migration fails
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.faults",
                "snapshot-never-ready,clone-fails,expansion-refused,migration-fails",
                "vmbench.threshold.max-snapshot-ready", "2s"));

        // then
        assertThat(message(run, "snapshot")).containsPattern("^VirtualMachineSnapshot snap-(vmb-\\S+) of VM \\1 was "
                + "not ready to use after 2\\.0 s \\(phase InProgress; conditions Progressing=True Source locked and "
                + "operation in progress, Ready=False Not ready\\)\\. Fix: see the snapshot's conditions, its "
                + "content's volumeSnapshotStatus and the VolumeSnapshots of its volumes \\(oc get "
                + "vmsnapshot,vmsnapshotcontent,volumesnapshot -n vmbench\\); the CSI driver must take snapshots of "
                + "volumes in use$");
        // the content says which VolumeSnapshot is not ready
        JsonNode snapshot = run.testResults().stream().filter(r -> r.path("name").asText().startsWith("snapshot"))
                .findFirst().orElseThrow();
        assertThat(SuiteRun.attachments(snapshot).stream().filter(a -> a.path("name").asText().endsWith(
                ".content.yaml")).map(run::attachment).findFirst().orElseThrow()).containsPattern(
                "volumeSnapshotName: \"?vmsnapshot-[\\w-]+-volume-datadisk\"?\\s+readyToUse: false|readyToUse: false"
                + "\\s+volumeSnapshotName: \"?vmsnapshot-[\\w-]+-volume-datadisk");
        assertThat(run.test("restore(StorageCapabilities)").getStatus()).isEqualTo(TestExecutionResult.Status.ABORTED);
        assertThat(message(run, "restore")).isEqualTo("restore is not supported on StorageClass embedded-local: "
                + "there is no snapshot to restore (the snapshot check did not succeed).");
        assertThat(message(run, "clone")).containsPattern("^DataVolume clone-(vmb-\\S+) cloning PVC \\1-data failed; "
                + "conditions Running=False Error \\(Clone from source PVC vmbench/\\1-data failed: rpc error: code = "
                + "Internal desc = failed to create volume from source volume\\), Ready=False Error \\(.*\\)\\. Fix: "
                + "see the DataVolume's conditions and events \\(oc describe dv clone-\\1 -n vmbench\\); CDI "
                + "starts no clone while a pod mounts the source \\(CloneSourceInUse\\)$");
        assertThat(message(run, "expansion")).containsPattern("^expanding PVC (vmb-\\S+-data) failed: "
                + "ControllerResizeError: resize volume \"pvc-\\S+\" by resizer \"sandbox.vmbench.dev\" failed: rpc "
                + "error: code = OutOfRange desc = requested size exceeds the pool's free space\\. Fix: see the PVC's "
                + "events; the CSI driver must expand volumes in use \\(online expansion\\)$");
        assertThat(message(run, "migration")).containsPattern("^live migration (migrate-vmb-\\S+) of VM vmb-\\S+ "
                + "failed: target virt-launcher pod virt-launcher-vmb-\\S+-target could not attach volume datadisk: "
                + "rpc error: code = FailedPrecondition desc = volume is attached to node embedded-worker-\\d\\. Fix: "
                + "see the migration's and the target virt-launcher pod's events \\(oc describe vmim \\1 -n "
                + "vmbench\\)$");
        // failed, not broken: the storage could not do it; the matrix says so
        assertThat(run.testResults()).filteredOn(r -> !r.path("name").asText().startsWith("restore"))
                .hasSize(4).allSatisfy(r -> assertThat(r.path("status").asText()).as(r.path("name").asText())
                        .isEqualTo("failed"));
        assertThat(run.runSummary().path("status").asText()).isEqualTo("failed");
    }

    @Test
    void aRestoreWhosePvcCannotBeProvisionedFailsItsTestNamingThePvcAndTheChecksAfterItStillRun() {
        // when: the driver cannot create the data disk's volume from its snapshot; KubeVirt's restore waits for it,
        // and its webhook refuses to start the VM while the restore is in progress
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.faults", "restore-fails",
                "vmbench.threshold.max-restore", "3s", "vmbench.exclude", "*:*:*:*:capability:migration"));

        // then: failed at the limit, with the restore's conditions and the Pending PVC's provisioning error
        assertThat(run.test("snapshot(StorageCapabilities)").getStatus())
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(message(run, "restore")).containsPattern("^VirtualMachineRestore restore-(vmb-\\S+) of VM \\1 from "
                + "snapshot snap-\\1 was not complete after 3\\.0 s; conditions Progressing=True Creating new PVCs, "
                + "Ready=False Waiting for new PVCs; PVC (restore-[\\w-]+-datadisk) is Pending \\(ProvisioningFailed: "
                + "failed to provision volume with StorageClass \"embedded-local\": rpc error: code = Internal desc = "
                + "failed to create volume from snapshot vmsnapshot-[\\w-]+-volume-datadisk\\)\\. Fix: see the "
                + "restore's conditions and the PVCs it creates from the VolumeSnapshots \\(oc get vmrestore,pvc -n "
                + "vmbench\\); the CSI driver must create volumes from snapshots$");
        assertThat(run.testResults()).filteredOn(r -> r.path("name").asText().startsWith("restore"))
                .singleElement().satisfies(r -> assertThat(r.path("status").asText()).isEqualTo("failed"));
        // the restore was deleted, KubeVirt let the VM go, and it ran again on its own disks for the next checks
        for (String test : List.of("clone", "expansion")) {
            assertThat(run.test(test + "(StorageCapabilities)").getStatus()).as(test)
                    .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        }
        // the exclusion left the migration out, and says so
        assertThat(message(run, "migration")).isEqualTo("migration is not selected by vmbench.filter/vmbench.exclude "
                + "[] / [*:*:*:*:capability:migration] (a capability check is "
                + "pool:size:pvc:concurrency:capability:migration)");
    }

    @Test
    void onAWaitForFirstConsumerClassARestoreWhosePvcCannotBeProvisionedFailsWhenTheVmStarts() {
        // when: the restore completes at once, its PVC waiting for a consumer; provisioning fails once the VM starts
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.faults",
                "restore-fails-wffc", "vmbench.readyTimeout", "10s",
                "vmbench.filter", "*:*:*:*:capability:snapshot,*:*:*:*:capability:restore"));

        // then: failed (not broken), naming the PVC and the provisioner's error
        assertThat(run.testResults()).filteredOn(r -> r.path("name").asText().startsWith("restore"))
                .singleElement().satisfies(r -> assertThat(r.path("status").asText()).isEqualTo("failed"));
        assertThat(message(run, "restore")).containsPattern("^VM (vmb-\\S+) restored by restore-\\1 did not run "
                + "within 10\\.0 s \\(vmbench\\.readyTimeout\\); PVC (restore-[\\w-]+-datadisk) is Pending "
                + "\\(ProvisioningFailed: failed to provision volume with StorageClass \"embedded-local\": rpc error: "
                + "code = Internal desc = failed to create volume from snapshot vmsnapshot-[\\w-]+-volume-datadisk\\)\\. "
                + "Fix: the CSI driver must create volumes from snapshots \\(oc get pvc,events -n vmbench\\)$");
    }

    @Test
    void aKubeVirtWithoutTheSnapshotAndExpandDisksGatesSkipsThoseChecksSayingWhy() {
        // when: KubeVirt 1.6 with neither gate enabled (its snapshot webhook would refuse every snapshot)
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.faults",
                "feature-gates-off", "vmbench.filter", "*:*:*:*:capability:snapshot,*:*:*:*:capability:expansion"));

        // then: skipped with the reason, not broken by the webhook's 422
        assertThat(run.test("snapshot(StorageCapabilities)").getStatus()).isEqualTo(TestExecutionResult.Status.ABORTED);
        assertThat(message(run, "snapshot")).isEqualTo("snapshot is not supported on StorageClass embedded-local: "
                + "KubeVirt v1.6.0-embedded has the Snapshot feature gate off (on by default from 1.9; the KubeVirt "
                + "resource's spec.configuration.developerConfiguration.featureGates enables []), so KubeVirt cannot "
                + "snapshot VMs. Fix: enable the gate in the KubeVirt resource, or upgrade KubeVirt.");
        assertThat(message(run, "expansion")).isEqualTo("expansion is not supported on StorageClass embedded-local: "
                + "KubeVirt v1.6.0-embedded has the ExpandDisks feature gate off (on by default from 1.9; the KubeVirt "
                + "resource's spec.configuration.developerConfiguration.featureGates enables []), so a running guest "
                + "does not see its disk grow. Fix: enable the gate in the KubeVirt resource, or upgrade KubeVirt.");
    }

    private static String message(SuiteRun run, String test) {
        return run.test(test + "(StorageCapabilities)").getThrowable().map(Throwable::getMessage).orElse("");
    }

    @Test
    void aKnownPauseOfTheGuestIsTheStallMeasuredFromOutsideIt() throws IOException {
        // when: the migration holds the guest paused for 1 s
        SuiteRun run = SuiteRun.of(StorageCapabilitiesIT.class, dir, Map.of("vmbench.embedded.faults",
                "migration-pause", "vmbench.filter", "*:*:*:*:capability:migration"));

        // then: the outside saw no write complete for that second, within 20 %
        assertThat(run.test("migration(StorageCapabilities)").getStatus()).isEqualTo(TestExecutionResult.Status
                .SUCCESSFUL);
        JsonNode migration = SuiteRun.json(Files.readString(run.runDir().resolve("capabilities.json")))
                .at("/storageClasses/embedded-local/checks/migration/details");
        assertThat(migration.path("io-stall-ms").asLong()).isBetween(800L, 1200L);
    }
}
