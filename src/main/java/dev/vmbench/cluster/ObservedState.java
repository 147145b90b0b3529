package dev.vmbench.cluster;

import static dev.vmbench.cluster.Untyped.list;
import static dev.vmbench.cluster.Untyped.map;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an object's status and events say to a harness waiting on it, read the way KubeVirt, CDI and Kubernetes mean
 * them: {@link Verdict#READY}; {@link Verdict#WAITING} (on its way, bounded only by the wait's deadline);
 * {@link Verdict#GRACE} (a state a healthy cluster passes through — vmbench.transientGrace, then a failure);
 * {@link Verdict#FAILED} (it will not leave this state by itself); {@link Verdict#STOPPED} (a VM not asked to run:
 * start it, do not wait). Status wins over event history: a Bound PVC is ready whatever warnings it once had.
 *
 * @param verdict what to do
 * @param why the state in the object's own words: phase, condition or event, reason and message
 */
public record ObservedState(Verdict verdict, String why) {

    /** What a harness waiting on the object should do. */
    public enum Verdict { READY, WAITING, GRACE, FAILED, STOPPED }

    /** One event about the object: type ({@code Normal}, {@code Warning}), reason and message. */
    public record Event(String type, String reason, String message) {
    }

    /** VM printableStatus values that need a human (kubevirt pkg/virt-controller/watch/vm). */
    static final Set<String> TERMINAL = Set.of("CrashLoopBackOff");
    /**
     * VM printableStatus values a healthy cluster passes through: a retried clone (DataVolumeError), a PVC created
     * a moment late (ErrorPvcNotFound), a pod the scheduler cannot place yet (ErrorUnschedulable — also while a slow
     * provisioner has not bound an Immediate PVC), an image the kubelet retries (ErrImagePull, ImagePullBackOff).
     */
    static final Set<String> TRANSIENT = Set.of("DataVolumeError", "ErrorPvcNotFound", "ErrorUnschedulable",
            "ErrImagePull", "ImagePullBackOff");
    /** DataVolume warnings CDI repeats for a spec it cannot act on (datavolume-controller's ErrClaimNotValid). */
    static final Set<String> SPEC_ERRORS = Set.of("ErrClaimNotValid");

    /** Reads {@code object} (its whole map: metadata, spec, status) of {@code kind}, with its events. */
    public static ObservedState of(String kind, Map<String, Object> object, List<Event> events) {
        Map<String, Object> status = map(object.get("status"));
        return switch (kind) {
            case "VirtualMachine" -> vm(map(object.get("spec")), status);
            case "VirtualMachineInstance" -> vmi(status);
            case "DataVolume" -> dataVolume(status, events);
            case "PersistentVolumeClaim" -> claim(object, status, events);
            case "VirtualMachineInstanceMigration" -> phase(status, "Succeeded", "Failed");
            case "VirtualMachineSnapshot" -> snapshot(status);
            case "VirtualMachineRestore" -> restore(status);
            default -> throw new IllegalArgumentException("no reading of kind [" + kind + "]");
        };
    }

    private static ObservedState vm(Map<String, Object> spec, Map<String, Object> status) {
        String printable = String.valueOf(status.getOrDefault("printableStatus", ""));
        if (TERMINAL.contains(printable)) {
            return new ObservedState(Verdict.FAILED, printable + conditions(status));
        }
        Optional<Map<String, Object>> failure = condition(status, "Failure", "True");
        if (failure.isPresent()) {
            // set on any sync error and removed on the next success (vm.go): a failure only if it stays
            return new ObservedState(Verdict.GRACE, "Failure " + words(failure.get()));
        }
        if (TRANSIENT.contains(printable)) {
            return new ObservedState(Verdict.GRACE, printable + conditions(status));
        }
        if (Boolean.TRUE.equals(status.get("ready"))) {
            return new ObservedState(Verdict.READY, printable);
        }
        boolean asked = "Always".equals(spec.get("runStrategy")) || Boolean.TRUE.equals(spec.get("running"))
                || "RerunOnFailure".equals(spec.get("runStrategy"));
        if (printable.equals("Stopped") && !asked) {
            return new ObservedState(Verdict.STOPPED, "Stopped: its spec does not ask it to run; start it");
        }
        return new ObservedState(Verdict.WAITING, printable.isEmpty() ? "no status yet" : printable
                + conditions(status));
    }

    private static ObservedState vmi(Map<String, Object> status) {
        String phase = String.valueOf(status.getOrDefault("phase", ""));
        if (phase.equals("Failed")) {
            return new ObservedState(Verdict.FAILED, "Failed" + conditions(status));
        }
        Map<String, Object> migration = map(status.get("migrationState"));
        if (!migration.isEmpty() && !Boolean.TRUE.equals(migration.get("completed"))
                && !Boolean.TRUE.equals(migration.get("failed")) && migration.get("endTimestamp") == null) {
            // a migration whose target died may leave this forever (kubevirt#2495): only a deadline ends the wait
            return new ObservedState(Verdict.WAITING, "a migration in flight (migrationState without completed, "
                    + "failed or endTimestamp)");
        }
        if (phase.equals("Running")) {
            // LiveMigratable=False (an RWO disk) says what the VMI cannot do, not that it failed
            return new ObservedState(Verdict.READY, "Running");
        }
        Optional<Map<String, Object>> unschedulable = condition(status, "PodScheduled", "False");
        if (unschedulable.isPresent()) {
            return new ObservedState(Verdict.GRACE, phase + ": PodScheduled " + words(unschedulable.get()));
        }
        return new ObservedState(Verdict.WAITING, phase.isEmpty() ? "no status yet" : phase);
    }

    private static ObservedState dataVolume(Map<String, Object> status, List<Event> events) {
        String phase = String.valueOf(status.getOrDefault("phase", ""));
        if (phase.equals("Succeeded")) {
            return new ObservedState(Verdict.READY, "Succeeded");
        }
        if (phase.equals("Failed")) {
            return new ObservedState(Verdict.FAILED, "Failed" + conditions(status));
        }
        Optional<Event> specError = events.stream().filter(e -> "Warning".equals(e.type())
                && SPEC_ERRORS.contains(e.reason())).reduce((a, b) -> b);
        if (specError.isPresent() && phase.isEmpty()) {
            // CDI repeats it without ever setting a phase: waiting would wait forever
            return new ObservedState(Verdict.FAILED, "no phase; Warning " + specError.get().reason() + ": "
                    + specError.get().message());
        }
        String progress = Objects.toString(status.get("progress"), "");
        return new ObservedState(Verdict.WAITING, (phase.isEmpty() ? "no phase yet" : phase)
                + (progress.isEmpty() ? "" : " " + progress) + warnings(events));
    }

    private static ObservedState claim(Map<String, Object> object, Map<String, Object> status, List<Event> events) {
        String phase = String.valueOf(status.getOrDefault("phase", "Pending"));
        if (phase.equals("Bound")) {
            Optional<Map<String, Object>> resizing = condition(status, "FileSystemResizePending", "True");
            if (resizing.isPresent()) {
                // the file system grows when a pod (for KubeVirt: the VM, or ExpandDisks) uses it again
                return new ObservedState(Verdict.WAITING, "Bound, FileSystemResizePending: " + Objects.toString(
                        resizing.get().get("message"), "") + " (restart the VM, or enable ExpandDisks)");
            }
            String fallback = Objects.toString(map(map(object.get("metadata")).get("annotations"))
                    .get(CloneStrategy.FALLBACK), "");
            return new ObservedState(Verdict.READY, fallback.isEmpty() ? "Bound"
                    : "Bound, cloned by a host-assisted copy: " + fallback);
        }
        if (phase.equals("Lost")) {
            return new ObservedState(Verdict.FAILED, "Lost: its volume is gone");
        }
        Optional<Event> failed = events.stream().filter(e -> "Warning".equals(e.type())
                && "ProvisioningFailed".equals(e.reason())).reduce((a, b) -> b);
        if (failed.isPresent()) {
            // provisioners retry, and a quota or a slow backend can clear: a failure once it stays
            return new ObservedState(Verdict.GRACE, "Pending: ProvisioningFailed: " + failed.get().message());
        }
        boolean firstConsumer = events.stream().anyMatch(e -> "WaitForFirstConsumer".equals(e.reason()));
        return new ObservedState(Verdict.WAITING, firstConsumer ? "Pending: waiting for its first consumer "
                + "(WaitForFirstConsumer)" : "Pending" + warnings(events));
    }

    private static ObservedState snapshot(Map<String, Object> status) {
        if (Boolean.TRUE.equals(status.get("readyToUse")) || "Succeeded".equals(status.get("phase"))) {
            return new ObservedState(Verdict.READY, "ready to use");
        }
        if ("Failed".equals(status.get("phase"))) {
            return new ObservedState(Verdict.FAILED, "Failed" + conditions(status));
        }
        Optional<Map<String, Object>> stopped = condition(status, "Progressing", "False");
        if ("InProgress".equals(status.get("phase")) && stopped.isPresent()) {
            // InProgress that no longer progresses will not finish: its reason says why
            return new ObservedState(Verdict.FAILED, "InProgress, Progressing False: " + words(stopped.get()));
        }
        return new ObservedState(Verdict.WAITING, String.valueOf(status.getOrDefault("phase", "no phase yet")));
    }

    private static ObservedState restore(Map<String, Object> status) {
        if (Boolean.TRUE.equals(status.get("complete"))) {
            return new ObservedState(Verdict.READY, "complete");
        }
        Optional<Map<String, Object>> failure = condition(status, "Failure", "True");
        if (failure.isPresent()) {
            return new ObservedState(Verdict.FAILED, "Failure " + words(failure.get()));
        }
        return new ObservedState(Verdict.WAITING, "not complete" + conditions(status));
    }

    private static ObservedState phase(Map<String, Object> status, String done, String failed) {
        String phase = String.valueOf(status.getOrDefault("phase", ""));
        if (phase.equals(done)) {
            return new ObservedState(Verdict.READY, phase);
        }
        if (phase.equals(failed)) {
            // a failed migration may leave no migrationState anywhere: the phase is all there is (kubevirt#5503)
            return new ObservedState(Verdict.FAILED, phase + conditions(status));
        }
        return new ObservedState(Verdict.WAITING, phase.isEmpty() ? "no phase yet" : phase);
    }

    private static Optional<Map<String, Object>> condition(Map<String, Object> status, String type, String value) {
        return list(status.get("conditions")).stream().filter(c -> type.equals(c.get("type"))
                && value.equals(String.valueOf(c.get("status")))).findFirst();
    }

    private static String words(Map<String, Object> condition) {
        String reason = Objects.toString(condition.get("reason"), "");
        String message = Objects.toString(condition.get("message"), "");
        return reason + (message.isEmpty() ? "" : ": " + message);
    }

    /** The False conditions with a message, as {@code : Type Reason — message; …}. */
    private static String conditions(Map<String, Object> status) {
        List<String> failing = list(status.get("conditions")).stream().filter(c -> "False".equals(String.valueOf(
                c.get("status"))) && c.get("message") != null && !c.get("message").toString().isEmpty())
                .map(c -> c.get("type") + " " + Objects.toString(c.get("reason"), "") + " — " + c.get("message"))
                .toList();
        return failing.isEmpty() ? "" : ": " + String.join("; ", failing);
    }

    private static String warnings(List<Event> events) {
        List<String> seen = events.stream().filter(e -> "Warning".equals(e.type())).map(e -> e.reason() + ": "
                + e.message()).distinct().toList();
        return seen.isEmpty() ? "" : " (warnings: " + String.join("; ", seen) + ")";
    }
}
