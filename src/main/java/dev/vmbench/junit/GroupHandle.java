package dev.vmbench.junit;

import dev.vmbench.cluster.VmGroup;
import dev.vmbench.matrix.VmGroupSpec;
import org.junit.jupiter.api.extension.ParameterResolutionException;

/**
 * The outcome of provisioning one group, kept in its class invocation's Store: the live group, or the
 * failure, so later tests of the group fail at once with the cause instead of provisioning again.
 */
final class GroupHandle implements AutoCloseable {

    private final VmGroupSpec spec;
    private final VmGroup group;
    private final RuntimeException failure;
    private final GroupRecorder recorder;
    private boolean reported;

    private GroupHandle(VmGroupSpec spec, VmGroup group, RuntimeException failure, GroupRecorder recorder) {
        this.spec = spec;
        this.group = group;
        this.failure = failure;
        this.recorder = recorder;
    }

    /**
     * Connects (once per run) and provisions the group's first {@code vms} VMs; either failure is kept as this
     * group's outcome.
     */
    static GroupHandle provision(VmGroupSpec spec, int vms, Settings settings,
            java.util.function.Supplier<Connection> connect) {
        GroupRecorder recorder = new GroupRecorder(settings.results(), settings.environment());
        settings.progress().provisioning(spec.toString());
        try {
            return new GroupHandle(spec, connect.get().provisioner().provision(spec, recorder, vms), null, recorder);
        } catch (RuntimeException e) {
            return new GroupHandle(spec, null, e, recorder);
        } finally {
            settings.progress().provisioned();
        }
    }

    synchronized VmGroup group() {
        if (failure == null) {
            return group;
        }
        if (failure instanceof org.opentest4j.TestAbortedException notRun) {
            throw notRun;
        }
        String message = reported
                ? "VM group " + spec + " failed to provision for an earlier test, so this one did not run: "
                        + failure.getMessage()
                : "VM group " + spec + " could not be provisioned: " + failure.getMessage();
        reported = true;
        throw new ParameterResolutionException(message, failure);
    }

    /** The latest run of {@code permutation} on this group, if it ran. */
    java.util.Optional<dev.vmbench.fio.FioRun> run(dev.vmbench.matrix.FioPermutation permutation) {
        return recorder.run(permutation);
    }

    /** Draws the group's charts from what ran so far (called after the group's last test of the session). */
    void drawCharts() {
        recorder.drawCharts();
    }

    void markFailed() {
        if (group != null) {
            group.markFailed();
        }
    }

    @Override
    public void close() {
        if (group != null) {
            try {
                group.close();
            } catch (RuntimeException e) {
                // cleanup is best effort: what it could not do is said here, never turned into a test failure
                org.slf4j.LoggerFactory.getLogger(GroupHandle.class).warn("VM group {} was not fully closed: {}. Its "
                        + "resources carry the run's labels; -Dvmbench.sweep=true removes them later", spec, e.toString());
            }
        }
    }
}
