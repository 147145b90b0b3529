package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;

/** Provisioning through KubeVirt's real phases on the embedded cluster: what is waited out, and what fails fast. */
class ReadinessSuiteTest {

    @TempDir
    Path dir;

    private SuiteRun run(String... settings) {
        Map<String, String> all = new HashMap<>(Map.of("vmbench.profiles", "lite-db-oltp", "vmbench.concurrency", "1"));
        for (int i = 0; i < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        return SuiteRun.of(StorageBenchmarkIT.class, dir, all);
    }

    private static String failure(SuiteRun run) {
        return run.test("lite-db-oltp native").getThrowable().orElseThrow().getMessage();
    }

    @Test
    void aFailedCloneFailsAtOnceNamingTheDataVolume() {
        assertThat(failure(run("vmbench.embedded.faults", "data-volume-failed"))).matches("(?s)VM group .* could not "
                + "be provisioned: DataVolume vmbench/vmb-\\S+-0-root of VM vmb-\\S+-0 failed: \\[Running Error — Unable "
                + "to clone: source DataSource PVC is not readable\\] after 0 restart\\(s\\)\\. Fix: check the DataSource and the cloning "
                + "StorageClass.*");
    }

    @Test
    void aCrashLoopingLauncherFailsAtOnce() {
        assertThat(failure(run("vmbench.embedded.faults", "crash-loop"))).containsPattern("VM vmbench/vmb-\\S+-0 failed: "
                + "\\[CrashLoopBackOff: Ready CrashLoopBackOff — virt-launcher pod restarted 5 times: back-off 2m40s "
                + "restarting failed container compute\\], a state KubeVirt does not leave by itself");
    }

    @Test
    void aFailedVmiFailsAtOnce() {
        assertThat(failure(run("vmbench.embedded.faults", "vmi-failed"))).containsPattern("VMI vmbench/vmb-\\S+-0 failed: "
                + "\\[Ready GuestFailed — qemu exited: could not open disk image\\]. Fix: see the virt-launcher pod");
    }

    @Test
    void onSuccessKeepsAFailedGroupAndSaysHowToDeleteIt() throws IOException {
        SuiteRun run = run("vmbench.cleanup", "on-success", "vmbench.threshold.min-iops", "1000M");

        assertThat(Files.readString(run.runDir().resolve("kept.txt"))).matches("embedded-local small 1Gi x1: kubectl "
                + "delete vmrestore,vmsnapshot,vmim,vm,dv,pod,pvc,secret -n vmbench -l vmbench.dev/(run|group)=\\S+,vmbench.dev/(run|group)=\\S+\n");
    }

    @Test
    void alwaysDeletesEvenAFailedGroup() {
        SuiteRun run = run("vmbench.threshold.min-iops", "1000M");

        assertThat(run.test("lite-db-oltp native").getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(run.runDir().resolve("kept.txt")).doesNotExist();
    }

    @Test
    void aTransientDataVolumeErrorIsWaitedOut() {
        assertThat(run("vmbench.embedded.faults", "data-volume-error-transient").test("lite-db-oltp native").getStatus())
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    @Test
    void aPvcThatAppearsLateIsWaitedOutWithinTheGrace() {
        assertThat(run("vmbench.embedded.faults", "pvc-late").test("lite-db-oltp native").getStatus())
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    @Test
    void aPvcMissingLongerThanTheGraceFails() {
        assertThat(failure(run("vmbench.embedded.faults", "pvc-late", "vmbench.transientGrace", "0s")))
                .containsPattern("VM vmbench/vmb-\\S+-0 stayed in \\[ErrorPvcNotFound\\] for more than 0s "
                        + "\\(vmbench.transientGrace\\): Synchronized FailedPvcNotFound — PVC vmbench/vmb-\\S+-0-data "
                        + "does not exist, waiting for it to appear\\. Fix: the VM's PVC does not exist");
    }

    @Test
    void aCloneThatStopsMovingIsReportedAsStalled() {
        assertThat(failure(run("vmbench.embedded.faults", "clone-stalls", "vmbench.cloneStallTimeout", "2s")))
                .containsPattern("The clone of DataVolume vmbench/vmb-\\S+-0-root \\(VM vmb-\\S+-0\\) stalled at 45.00% "
                        + "for more than 2s \\(vmbench.cloneStallTimeout\\)");
    }

    @Test
    void aVmiReplacedWhileFioRunsInvalidatesThatResult() throws IOException {
        // (latency limits out of the way: this is about which result counts, not about the local disk's spikes)
        SuiteRun run = run("vmbench.embedded.faults", "vmi-recreated", "vmbench.profiles", "random-rw",
                "vmbench.blockSizes", "4k,64k", "vmbench.threshold.max-clat-p99", "60s",
                "vmbench.threshold.max-clat-p99.9", "60s");

        assertThat(run.test("random-rw 4k").getThrowable().orElseThrow().getMessage()).containsPattern(
                "The VMI of VM vmb-\\S+-0 \\(uid \\S+ → \\S+\\) was replaced during random-rw 4k: the VM restarted, so "
                        + "this result is not valid");
        // the next permutation runs on the new instance
        assertThat(run.test("random-rw 64k").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(Files.readString(run.runDir().resolve("results.csv"))).doesNotContain(",4k,").contains(",64k,");
    }

    @Test
    void diagnosticsHoldTheLauncherPodAndTheSerialConsole() throws IOException {
        SuiteRun run = run("vmbench.embedded.faults", "fio-fails");

        try (var files = Files.list(run.runDir().resolve("small-1gi-x1-773981/diagnostics"))) {
            assertThat(files.map(f -> f.getFileName().toString()).toList())
                    .anyMatch(name -> name.matches("pod-virt-launcher-vmb-\\S+-0-\\w+\\.yaml"))
                    .anyMatch(name -> name.matches("console-vmb-\\S+-0\\.log"))
                    .anyMatch(name -> name.matches("vmb-\\S+-0-guest-diagnose\\.txt"));
        }
    }

    @Test
    void eachVmsPhaseTimesAreRecorded() throws IOException {
        SuiteRun run = run("vmbench.concurrency", "2");

        String provisioned = Files.readAllLines(run.runDir().resolve("provisioning.log")).get(0);
        assertThat(provisioned).containsPattern("vmb-\\S+-0 clone=\\d+").containsPattern("vmb-\\S+-1 schedule=\\d+")
                .containsPattern("vmb-\\S+-1 boot=\\d+").containsPattern("vmb-\\S+-0 ssh=\\d+");
    }

    @Test
    void transientStatesAndProgressWithoutPercentagesAreWaitedOut() {
        // a pod unschedulable while a slow provisioner binds its claim, and a CSI clone that reports "N/A" for
        // longer than the stall timeout
        assertThat(run("vmbench.embedded.faults", "unschedulable-transient,clone-progress-na",
                "vmbench.cloneStallTimeout", "2s").test("lite-db-oltp native").getStatus())
                .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    @Test
    void aFailureConditionThatStaysFailsAfterTheGraceWithItsMessage() {
        // KubeVirt sets Failure on any sync error and clears it on the next success: only one that stays fails
        long start = System.nanoTime();
        String failure = failure(run("vmbench.embedded.faults", "failure-condition", "vmbench.transientGrace", "2s"));

        assertThat(failure).containsPattern("VM vmbench/vmb-\\S+-0 reports Failure FailedCreate: failure while starting "
                + "VMI: admission webhook \"virtualmachineinstances-create-validator.kubevirt.io\" denied the request: "
                + "spec.domain.devices.disks\\[1\\].serial is not unique for more than 2s \\(vmbench.transientGrace\\)"
                + "\\. Fix: KubeVirt could not start the VM as defined");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds until broken").isLessThan(10);
    }

    @Test
    void aFailureConditionThatClearsOnTheNextSyncIsWaitedOut() {
        assertThat(run("vmbench.embedded.faults", "failure-condition-transient").test("lite-db-oltp native")
                .getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    }

    @Test
    void readyMeansCloudInitFinishedNotSshUp() throws IOException {
        // when: cloud-init's final stage (fio, the data-disk mount) ends seconds after sshd answers
        SuiteRun run = run("vmbench.embedded.faults", "cloud-init-slow");

        // then: the group waited for it, and fio ran on the data disk
        assertThat(run.test("lite-db-oltp native").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        String provisioned = Files.readAllLines(run.runDir().resolve("provisioning.log")).get(0);
        long ssh = Long.parseLong(provisioned.replaceAll(".*-0 ssh=(\\d+).*", "$1"));
        long cloudInit = Long.parseLong(provisioned.replaceAll(".*-0 cloud-init=(\\d+).*", "$1"));
        assertThat(cloudInit).as("ready after cloud-init, %d ms after SSH answered", cloudInit - ssh)
                .isGreaterThanOrEqualTo(ssh + 3000);
        try (var sysinfo = Files.list(run.runDir().resolve("small-1gi-x1-773981/sysinfo"))) {
            assertThat(Files.readString(sysinfo.findFirst().orElseThrow()))
                    .contains("data-device: /dev/vdb (serial vmbench-data)");
        }
    }

    @Test
    void aDataDiskThatNeverAppearsBreaksTheGroupNamingItsSerial() {
        assertThat(failure(run("vmbench.embedded.faults", "data-disk-missing"))).containsPattern("(?s)cloud-init failed "
                + "on VM vmb-\\S+-0 \\(cloud-init status exit 1\\).*status: error.*Runparts: 1 failures \\(runcmd\\).*"
                + "the data disk with serial \\[vmbench-data\\] did not appear at "
                + "/dev/disk/by-id/virtio-vmbench-data within 3 s\\. Fix: check that the data-disk PVC is bound and "
                + "attached to the VM");
    }

    @Test
    void aGroupSlowerToProvisionThanItsLimitFailsTheGate() {
        // when: cloud-init takes 4 s longer than sshd, and a VM may take at most 2 s from create to ready
        SuiteRun run = run("vmbench.embedded.faults", "cloud-init-slow", "vmbench.threshold.max-vm-ready", "2s");

        // then: failed (the storage's provisioning missed a gate), not broken
        TestExecutionResult result = run.test("lite-db-oltp native");
        assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
        assertThat(result.getThrowable()).get().isInstanceOf(AssertionError.class).asString()
                .containsPattern("vm-ready \\d+\\.\\d s is above the maximum 2\\.0 s \\(max-vm-ready 2s from "
                        + "-Dvmbench.threshold.max-vm-ready\\) for VM vmb-\\S+-0 \\(create to guest ready\\)");
    }
}
