package dev.vmbench.cluster;

import dev.vmbench.fio.FioOutput;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.guest.GuestAgent;
import dev.vmbench.guest.GuestException;
import dev.vmbench.guest.GuestStatus;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.FioJobs;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod baseline of a group: one plain pod (no QEMU) with a PVC of the group's StorageClass and the CPUs and
 * memory of its VM size, running the same fio jobs through the same guest script, reached through the exec
 * subresource. What a VM measures against it is the cost of virtualization. Closing it deletes the pod, its PVC and
 * its Secret.
 */
public final class BaselinePod implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BaselinePod.class);

    private final VmGroupSpec spec;
    private final KubernetesClient client;
    private final String namespace;
    private final String pod;
    private final Map<String, String> selector;
    private final GuestAgent agent;
    private final FioJobs jobs;
    private final GroupEvents events;

    BaselinePod(VmGroupSpec spec, KubernetesClient client, String namespace, String pod, Map<String, String> selector,
            GuestAgent agent, FioJobs jobs, GroupEvents events) {
        this.spec = spec;
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
        this.selector = selector;
        this.agent = agent;
        this.jobs = jobs;
        this.events = events;
    }

    /** The pod's name. */
    public String name() {
        return pod;
    }

    /**
     * Runs {@code permutation} in the pod as a group of one runs it on a VM: the job installed and its files laid
     * out, then fio, then its JSON (recorded before it is parsed).
     *
     * @throws GuestException if fio fails or hangs in the pod
     */
    public FioRun run(FioPermutation permutation) {
        String job = jobs.render(permutation);
        long t0 = System.nanoTime();
        GuestStatus laid = agent.installAndPrefill(job);
        if (laid.running()) {
            laid = agent.await(jobs.prefillBudget(permutation));
        }
        require(laid.prefilled(), "laying out the test file for " + permutation, laid);
        long t1 = System.nanoTime();
        GuestStatus started = agent.start(Instant.now());
        GuestStatus done = started.running() ? agent.await(jobs.budget(permutation)) : started;
        require(done.succeeded(), "running " + permutation, done);
        long t2 = System.nanoTime();
        String json = agent.result();
        events.onRawOutput(spec, permutation, "pod-" + pod, json);
        FioOutput output = FioOutput.parse(pod, json);
        long t3 = System.nanoTime();
        Duration fio = Duration.ofNanos((long) ((done.finished() - done.started()) * 1e9));
        return new FioRun(spec, permutation, Map.of(pod, json), output.metrics(), new RunTimings(
                Duration.ofNanos(t1 - t0), Duration.ofNanos(t1 - t0), Duration.ZERO, fio, Duration.ofNanos(t3 - t2),
                Duration.ofNanos(t3 - t0), 0));
    }

    private void require(boolean ok, String what, GuestStatus status) {
        if (!ok) {
            String diagnosis = agent.diagnose();
            events.onDiagnostics(spec, Map.of(pod + "-pod-diagnose.txt", diagnosis));
            throw new GuestException("fio failed in baseline pod " + pod + " " + what + " (" + status.state() + ", exit "
                    + status.exit() + "). Fix: see the attached pod diagnostics.");
        }
    }

    /** Deletes the pod, its PVC and its Secret, and waits until they are gone. */
    @Override
    public void close() {
        java.util.List<String> problems = Cleanup.deleteLabelled(client, namespace, selector, Duration.ofMinutes(2));
        if (problems.isEmpty()) {
            LOG.info("Deleted baseline pod {}", pod);
        } else {
            LOG.warn("Baseline pod {} was not fully deleted ({}). Delete the rest with: {}", pod, problems,
                    Cleanup.deleteCommand(namespace, selector));
        }
    }

    @Override
    public String toString() {
        return "BaselinePod[" + namespace + "/" + pod + " for " + spec + "]";
    }
}
