package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.cluster.ObservedState.Event;
import dev.vmbench.cluster.ObservedState.Verdict;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Objects copied from real clusters ({@code src/test/resources/real-status}, sources in its README): each read as its
 * {@code # state:} line says, by the reading vmbench waits with ({@link ObservedState}). Where vmbench's verdict is
 * not the state's own word, the case says why it deliberately differs.
 */
class RealStatusTest {

    static Stream<Arguments> fixtures() {
        return Stream.of(
                Arguments.of("dv-importinprogress-1.yaml", "DataVolume", Verdict.WAITING, "ImportInProgress 67.60%",
                        "transient-wait"),
                Arguments.of("dv-nostatus-errclaimnotvalid-1.describe.txt", "DataVolume", Verdict.FAILED,
                        "ErrClaimNotValid: DataVolume.storage spec is missing accessMode", "terminal-fail"),
                Arguments.of("dv-succeeded-1-networkclone.yaml", "DataVolume", Verdict.READY, "Succeeded", "ready"),
                // stuck: CSI clones report no progress, so no stall can be seen; the wait's deadline ends it
                Arguments.of("event-csicloneinprogress-1.txt", "DataVolume", Verdict.WAITING, "Clone Pending",
                        "stuck"),
                // early warnings CDI recovers from: a phase, not an event, decides
                Arguments.of("event-importfailed-failedscheduling-1.txt", "DataVolume", Verdict.WAITING,
                        "ImportFailed", "unclear"),
                Arguments.of("event-incompatiblevolumemodes-1.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "IncompatibleVolumeModes", "informational"),
                // vmbench gives a provisioning failure vmbench.transientGrace (provisioners retry), then fails with it
                Arguments.of("event-provisioningfailed-1.txt", "PersistentVolumeClaim", Verdict.GRACE,
                        "ProvisioningFailed: failed to provision volume with StorageClass \"do-block-storage\"",
                        "terminal-fail"),
                Arguments.of("pvc-bound-1-cdiclone.yaml", "PersistentVolumeClaim", Verdict.READY, "Bound", "ready"),
                Arguments.of("pvc-filesystemresizepending-1.yaml", "PersistentVolumeClaim", Verdict.WAITING,
                        "FileSystemResizePending", "transient-wait"),
                Arguments.of("pvc-pending-cdipopulator-1.describe.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "Pending", "transient-wait"),
                Arguments.of("pvc-pending-wffc-1.describe.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "WaitForFirstConsumer", "transient-wait"),
                // KubeVirt keeps retrying: vmbench gives it vmbench.transientGrace, then fails naming the scheduler
                Arguments.of("vm-errorunschedulable-1.yaml", "VirtualMachine", Verdict.GRACE,
                        "ErrorUnschedulable", "terminal-fail"),
                Arguments.of("vm-provisioning-1.yaml", "VirtualMachine", Verdict.WAITING, "Provisioning",
                        "transient-wait"),
                Arguments.of("vm-running-1.yaml", "VirtualMachine", Verdict.READY, "Running", "ready"),
                Arguments.of("vm-stopped-1.yaml", "VirtualMachine", Verdict.STOPPED, "start it", "ready-as-stopped"),
                Arguments.of("vmi-migrated-1-migrationstate.describe.txt", "VirtualMachineInstance", Verdict.READY,
                        "Running", "ready"),
                // disguised: nothing will ever say it failed, so only the migration check's deadline ends the wait
                Arguments.of("vmi-migrationstate-stale-1.yaml", "VirtualMachineInstance", Verdict.WAITING,
                        "a migration in flight", "terminal-fail"),
                Arguments.of("vmi-running-1.yaml", "VirtualMachineInstance", Verdict.READY, "Running", "ready"),
                Arguments.of("vmi-scheduling-unschedulable-1.yaml", "VirtualMachineInstance", Verdict.GRACE,
                        "Unschedulable", "transient-wait"),
                Arguments.of("vmim-failed-1.yaml", "VirtualMachineInstanceMigration", Verdict.FAILED, "Failed",
                        "terminal-fail"),
                Arguments.of("vmrestore-complete-1.describe.txt", "VirtualMachineRestore", Verdict.READY,
                        "complete", "ready"),
                Arguments.of("vmsnapshot-succeeded-1.describe.txt", "VirtualMachineSnapshot", Verdict.READY,
                        "ready to use", "ready"),
                Arguments.of("vmsnapshot-succeeded-2-docs.yaml", "VirtualMachineSnapshot", Verdict.READY,
                        "ready to use", "ready"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void eachRealObjectIsReadAsItsStateLineSays(String file, String kind, Verdict verdict, String why, String state)
            throws IOException {
        String text = RealObjects.read(file);
        assertThat(RealObjects.stateLine(text)).as("the fixture's own state").startsWith(state);

        ObservedState seen = ObservedState.of(kind, RealObjects.object(file, text), RealObjects.events(text));

        assertThat(seen.verdict()).as(seen.why()).isEqualTo(verdict);
        assertThat(seen.why()).contains(why);
    }

    @Test
    void aCloneThatFellBackToACopyIsReadFromItsPvcWithTheReason() throws IOException {
        // ready-but-degraded: CDI's fallback is on the target PVC, which is where vmbench reads it
        PersistentVolumeClaim claim = Serialization.jsonMapper().convertValue(RealObjects.object(
                "pvc-clonefallback-copy-1.yaml", RealObjects.read("pvc-clonefallback-copy-1.yaml")),
                PersistentVolumeClaim.class);

        CloneStrategy strategy = CloneStrategy.of(claim, null);

        assertThat(strategy.details()).containsExactly(Map.entry("strategy", "copy"),
                Map.entry("fallback", "The volume modes of source and target are incompatible"));
    }

    @Test
    void everyFixtureIsACase() throws IOException {
        List<String> cases = new ArrayList<>(fixtures().map(a -> a.get()[0].toString()).toList());
        cases.add("pvc-clonefallback-copy-1.yaml");
        String readme = RealObjects.read("README.md");
        List<String> listed = readme.lines().filter(l -> l.startsWith("| `")).map(l -> l.substring(3,
                l.indexOf('`', 3))).toList();
        assertThat(cases).containsExactlyInAnyOrderElementsOf(listed);
    }

    @Test
    void aBoundClaimWithAnOldProvisioningFailureIsReady() {
        // status wins over event history: the provisioner failed once, then bound it
        ObservedState seen = ObservedState.of("PersistentVolumeClaim", Map.of("status", Map.of("phase", "Bound")),
                List.of(new Event("Warning", "ProvisioningFailed", "rpc error: code = ResourceExhausted")));

        assertThat(seen.verdict()).isEqualTo(Verdict.READY);
    }

    @Test
    void aSnapshotInProgressThatNoLongerProgressesHasFailed() {
        ObservedState seen = ObservedState.of("VirtualMachineSnapshot", Map.of("status", Map.of("phase", "InProgress",
                "conditions", List.of(Map.of("type", "Progressing", "status", "False", "reason",
                        "Source not locked")))), List.of());

        assertThat(seen).isEqualTo(new ObservedState(Verdict.FAILED, "InProgress, Progressing False: Source not "
                + "locked"));
    }

}
