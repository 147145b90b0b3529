package dev.vmbench.embedded;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A failure the embedded cluster can act out, so every failure path of the harness has a test and a demo.
 * Set with {@code -Dvmbench.embedded.faults=unschedulable,fio-fails} (embedded cluster only).
 */
public enum Fault {
    /** The VMI never schedules: VM printableStatus ErrorUnschedulable with a FailedScheduling event. */
    UNSCHEDULABLE,
    /**
     * The VMI's pod is unschedulable for 1.5 s ("pod has unbound immediate PersistentVolumeClaims", a slow
     * provisioner), then schedules.
     */
    UNSCHEDULABLE_TRANSIENT,
    /** The root-disk clone reports progress "N/A" (a CSI or snapshot clone) for 6 s before it succeeds. */
    CLONE_PROGRESS_NA,
    /** KubeVirt cannot start the VM: VM condition Failure (status True, reason FailedCreate). */
    FAILURE_CONDITION,
    /** The root-disk clone fails: DataVolume phase Failed, VM printableStatus DataVolumeError. */
    DATA_VOLUME_FAILED,
    /** virt-launcher keeps crashing: VM printableStatus CrashLoopBackOff. */
    CRASH_LOOP,
    /** The VMI fails while booting: VMI phase Failed. */
    VMI_FAILED,
    /** KubeVirt is not installed: its resource types are not served (404). */
    NO_KUBEVIRT,
    /** The root-disk clone reports DataVolumeError for 1.5 s, then recovers (a retried clone). */
    DATA_VOLUME_ERROR_TRANSIENT,
    /** The root-disk clone stops at 45 % and never moves again. */
    CLONE_STALLS,
    /** The data PVC is not found for 1.5 s (ErrorPvcNotFound), then appears. */
    PVC_LATE,
    /** fio exits non-zero in every guest, printing a message on stderr. */
    FIO_FAILS,
    /** The first guest's fio reads where its job writes: it completes no write I/O (a direction that never ran). */
    FIO_NO_WRITES,
    /**
     * The first guest's storage fails 3 I/Os (EIO) that fio goes on past: its JSON counts them in {@code total_err},
     * and it exits 0.
     */
    FIO_IO_ERRORS,
    /**
     * The first guest's fio is launched with the others and begins measuring 500 ms after the start instant they all
     * wait for: the launch instants say the VMs ran together, what fio measured says not.
     */
    LATE_START,
    /** The first guest answers 'vmbench-guest result' with 70 MiB (its fio output padded): a broken or hostile image. */
    GUEST_FLOODS,
    /** fio never finishes (until stopped). */
    FIO_HANGS,
    /** cloud-init's final stage (fio, the data disk's mount) ends 4 s after sshd answers instead of 0.3 s. */
    CLOUD_INIT_SLOW,
    /** The data disk never appears in the guest: runcmd's wait for its serial fails, so cloud-init errs. */
    DATA_DISK_MISSING,
    /** The guest's sshd presents a host key other than the one cloud-init was given. */
    WRONG_HOST_KEY,
    /** The VMI is Running a few seconds before the guest's sshd answers (cloud-init still busy). */
    SSH_LATE,
    /** Each guest's sshd drops every session once, while fio runs. */
    SSH_DROPS,
    /** The SSH session drops as the first measuring {@code start} reaches the guest, before the guest runs it. */
    START_LOST,
    /** The run's identity may not use the VMI portforward subresource (an RBAC gap preflight must name). */
    FORBIDDEN_PORTFORWARD,
    /** Once fio starts measuring, the VMI fails and KubeVirt replaces it (a new UID): that run is not valid. */
    VMI_RECREATED,
    /** The run's identity may not create namespaces (and the run's namespace does not exist yet). */
    NAMESPACE_FORBIDDEN,
    /**
     * The first guest of each group runs 3 s ahead of this machine's clock (every process in it, fio included, by
     * libfaketime): the harness must tell it the start instant in its own clock.
     */
    CLOCK_SKEW,
    /** KubeVirt's admission webhook rejects every VirtualMachine (e.g. a resource the cluster's policy forbids). */
    ADMISSION_DENIES,
    /**
     * The VMs' ServiceAccount ({@code default}) may not clone from the DataSource's namespace: KubeVirt's VM webhook
     * refuses the VM ("Authorization failed, message is: User system:serviceaccount:… has insufficient permissions in
     * clone source namespace …"), whatever the run's own identity may do.
     */
    DATASOURCE_SA_DENIED,
    /**
     * KubeVirt 1.6 with neither the Snapshot nor the ExpandDisks feature gate enabled: the snapshot webhook refuses
     * VirtualMachineSnapshots ("snapshot feature gate not enabled") and a running guest does not see its PVC grow.
     */
    FEATURE_GATES_OFF,
    /** The VM's Failure condition is set once (a sync error) and cleared 1.5 s later by the next successful sync. */
    FAILURE_CONDITION_TRANSIENT,
    /** A pod baseline's image cannot be pulled: its container waits in ErrImagePull. */
    POD_IMAGE_PULL,
    /**
     * A VirtualMachineSnapshot never becomes ready: its VolumeSnapshot stays readyToUse false (a CSI driver that
     * cannot snapshot a volume in use), until the snapshot's failureDeadline marks it Failed.
     */
    SNAPSHOT_NEVER_READY,
    /** A VirtualMachineRestore fails: the PVC restored from the VolumeSnapshot cannot be provisioned. */
    RESTORE_FAILS,
    /**
     * The same on a WaitForFirstConsumer class: the restore completes at once (a claim waiting for its consumer is
     * no reason to wait), and the claim's provisioning fails only when the restored VM's pod is scheduled.
     */
    RESTORE_FAILS_WFFC,
    /** A DataVolume clone of a PVC fails: CDI reports phase Failed with the clone source's error. */
    CLONE_FAILS,
    /**
     * A live migration pauses the guest for a known 1 s (a switch-over that waits on a slow target): a sandbox's
     * processes are frozen that long instead of QEMU's 300 ms downtime limit; a QEMU guest is stopped over QMP for 1 s
     * before its migration and continued. What the harness measures from outside must be that pause.
     */
    MIGRATION_PAUSE,
    /** A live migration fails: the target virt-launcher pod cannot attach the volumes (phase Failed). */
    MIGRATION_FAILS,
    /** An online expansion is refused by the CSI driver: ControllerResizeError, ControllerResizeInfeasible. */
    EXPANSION_REFUSED;

    /** Acted out by the sandbox's own sshd, fio or cloud-init stand-ins: a QEMU guest runs the real ones. */
    boolean sandboxOnly() {
        return switch (this) {
            case FIO_FAILS, FIO_HANGS, FIO_NO_WRITES, FIO_IO_ERRORS, LATE_START, GUEST_FLOODS, CLOUD_INIT_SLOW, WRONG_HOST_KEY, SSH_LATE, SSH_DROPS, START_LOST, VMI_RECREATED,
                    CLOCK_SKEW ->
                    true;
            default -> false;
        };
    }

    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Fault parse(String text) {
        for (Fault fault : values()) {
            if (fault.spelling().equals(text.trim())) {
                return fault;
            }
        }
        throw new IllegalArgumentException("Embedded fault [" + text.trim() + "] is unknown. Fix: use one of "
                + Arrays.stream(values()).map(Fault::spelling).collect(Collectors.joining(", "))
                + " in -Dvmbench.embedded.faults.");
    }
}
