package dev.vmbench.cluster;

import dev.vmbench.config.CleanupMode;
import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioOutput;
import dev.vmbench.fio.FioRun;
import dev.vmbench.fio.RunTimings;
import dev.vmbench.guest.GuestException;
import dev.vmbench.guest.GuestStatus;
import dev.vmbench.guest.GuestTimeoutException;
import dev.vmbench.matrix.FioPermutation;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.FioJobs;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provisioned group of VMs with an SSH session to each, reused by every fio permutation of its class
 * invocation. {@link #run(FioPermutation)} runs one permutation on all VMs at the same instant; closing the
 * group deletes its resources according to the {@link CleanupMode}.
 *
 * <p>Resolved by the extension as a test-method parameter: {@code void test(FioPermutation p, VmGroup vms)}.
 */
public final class VmGroup implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VmGroup.class);

    private final VmGroupSpec spec;
    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, String> selector;
    /** The group's guests in index order; a density search adds to it ({@link #grow}). */
    private final List<GuestVm> guests;
    private final VmGroupProvisioner provisioner;
    private final ExecutorService pool;
    private final FioJobs jobs;
    private final GroupEvents events;
    private final CleanupMode cleanup;
    private final Map<String, String> instanceUids;
    private final java.util.function.Consumer<String> onKeep;
    private volatile dev.vmbench.fio.Provisioning provisioning;
    private volatile boolean failed;
    private volatile boolean closed;
    /** How many times each permutation runs; the median is what a test judges. */
    private final int samples;
    /** Each guest's clock minus this machine's, once measured. */
    private Map<String, Duration> clockOffsets;

    VmGroup(VmGroupSpec spec, KubernetesClient client, String namespace, Map<String, String> selector,
            List<GuestVm> guests, ExecutorService pool, FioJobs jobs, GroupEvents events, CleanupMode cleanup,
            java.util.function.Consumer<String> onKeep, dev.vmbench.fio.Provisioning provisioning, int samples,
            VmGroupProvisioner provisioner) {
        this.provisioner = provisioner;
        this.samples = samples;
        this.onKeep = onKeep;
        this.provisioning = provisioning;
        this.instanceUids = new java.util.concurrent.ConcurrentHashMap<>();
        guests.forEach(g -> instanceUids.put(g.name(), instanceUid(client, namespace, g.name())));
        this.spec = spec;
        this.client = client;
        this.namespace = namespace;
        this.selector = selector;
        this.guests = new java.util.concurrent.CopyOnWriteArrayList<>(guests);
        this.pool = pool;
        this.jobs = jobs;
        this.events = events;
        this.cleanup = cleanup;
    }

    public VmGroupSpec spec() {
        return spec;
    }

    /** The VM names, in index order. */
    public List<String> vms() {
        return guests.stream().map(GuestVm::name).toList();
    }

    /** The group's live guests (their SSH sessions and agents). */
    List<GuestVm> guests() {
        return guests;
    }

    /**
     * Installs the permutation's job on every VM, starts fio on all of them at one instant, waits for all
     * to finish, and collects, records and parses their JSON — {@code vmbench.samples} times, the median of them
     * (by total IOPS) being the run returned, with the spread of all.
     *
     * @throws GuestException if fio fails, hangs or cannot be reached (a broken test, with evidence attached)
     */
    public FioRun run(FioPermutation permutation) {
        return run(permutation, guests.size());
    }

    /**
     * The same on the first {@code vms} VMs only (a density step below the group's size); the run reads as a group
     * of that many ({@code x12}).
     */
    public FioRun run(FioPermutation permutation, int vms) {
        if (vms < 1 || vms > guests.size()) {
            throw new IllegalArgumentException("A run needs 1 to " + guests.size() + " VMs of group " + spec + ", not ["
                    + vms + "]. Fix: grow the group first.");
        }
        List<GuestVm> active = List.copyOf(guests.subList(0, vms));
        VmGroupSpec measured = new VmGroupSpec(spec.pool(), spec.vmSize(), spec.pvcSize(), vms);
        String job = jobs.render(permutation);
        events.onJob(measured, permutation, job);
        List<FioRun> runs = new ArrayList<>();
        for (int sample = 1; sample <= samples; sample++) {
            runs.add(sample(measured, active, permutation, job, sample));
        }
        FioRun run = dev.vmbench.fio.Samples.median(runs);
        events.onRun(run);
        return run;
    }

    /**
     * Adds VMs until the group has {@code vms} (at most its spec's concurrency), provisioned like the first ones;
     * the VMs it has keep running, their test files laid out.
     *
     * @throws ProvisioningException if a new VM does not come up (its evidence reported)
     */
    public synchronized void grow(int vms) {
        if (vms > spec.concurrency()) {
            throw new IllegalArgumentException("Group " + spec + " holds at most " + spec.concurrency() + " VMs, not ["
                    + vms + "]. Fix: provision a group of that concurrency.");
        }
        if (vms <= guests.size()) {
            return;
        }
        VmGroupProvisioner.Added added = provisioner.grow(spec, java.util.stream.IntStream.range(guests.size(), vms)
                .boxed().toList(), events, pool);
        for (GuestVm g : added.guests()) {
            instanceUids.put(g.name(), instanceUid(client, namespace, g.name()));
        }
        guests.addAll(added.guests());
        Map<String, Duration> ready = new java.util.TreeMap<>(provisioning.vmReady());
        ready.putAll(added.readySinceCreate());
        provisioning = new dev.vmbench.fio.Provisioning(ready, provisioning.groupReady().plus(added.took()));
    }

    /**
     * Each guest's clock offset, measured (five round trips each) before the group's first start and kept for the
     * group's life: every guest is told the shared instant in its own clock, so one whose clock is off still starts
     * on time. Clocks drift by parts per million, a few milliseconds over hours; measuring once per group keeps the
     * round trips out of every permutation's overhead.
     */
    /** The longest time fio took in a guest from launch to its first job, as last seen; 500 ms before any run. */
    private volatile long fioSetupMillis = 500;

    private synchronized Map<String, Duration> clockOffsets() {
        // guests added since (a growing group) are measured when they first run
        List<GuestVm> unmeasured = guests.stream().filter(g -> clockOffsets == null
                || !clockOffsets.containsKey(g.name())).toList();
        if (!unmeasured.isEmpty()) {
            List<Duration> offsets = Parallel.each(pool, unmeasured, g -> g.agent().clockOffset());
            Map<String, Duration> measured = new LinkedHashMap<>(clockOffsets == null ? Map.of() : clockOffsets);
            for (int i = 0; i < unmeasured.size(); i++) {
                measured.put(unmeasured.get(i).name(), offsets.get(i));
            }
            clockOffsets = Map.copyOf(measured);
        }
        return clockOffsets;
    }

    /** One run of the permutation's job on every VM: the {@code sample}-th of {@link #samples}. */
    private FioRun sample(VmGroupSpec measured, List<GuestVm> active, FioPermutation permutation, String job,
            int sample) {
        // several samples keep each one's raw output apart (vm-0-sample2.json) and name their steps
        String label = samples == 1 ? "" : "-sample" + sample;
        String step = samples == 1 ? "" : " (sample " + sample + " of " + samples + ")";
        int reconnectsBefore = reconnects();
        long t0 = System.nanoTime();
        // Lay the file out everywhere first, so every VM measures from the same instant on allocated blocks.
        List<GuestStatus> prefilled = events.phase("install the job and lay out its test file on " + active.size()
                + " VM(s)" + step, () -> {
            List<GuestStatus> done = runEverywhere(active, g -> g.agent().installAndPrefill(job),
                    jobs.prefillBudget(permutation));
            requireAll(active, done, GuestStatus::prefilled, "laying out the test file for " + permutation);
            return done;
        });
        Map<String, Duration> offsetOf = clockOffsets();
        long t1 = System.nanoTime();
        List<GuestStatus> statuses = events.phase("start fio on every VM at one instant and wait for it" + step, () -> {
            // Concurrent VMs must start together; one VM starts at once. The lead must cover delivering "start"
            // to every VM: judged by the install round, less the time the guests spent laying out files.
            // fio is launched at once and sets itself up before the instant, which its jobs then wait for: the lead
            // also covers the longest set-up the guests showed last time (half a second before they have shown one)
            long deliveryMillis = Math.max(0, (t1 - t0) / 1_000_000 - longest(prefilled).toMillis());
            Instant at = Instant.now().plusMillis(active.size() == 1 ? 0
                    : Math.min(5_000, 50 + deliveryMillis * 5 / 4 + fioSetupMillis * 3 / 2));
            return runEverywhere(active, g -> g.agent().start(at, offsetOf.get(g.name())), jobs.budget(permutation));
        });
        long t3 = System.nanoTime();
        // how long fio took to set itself up in the slowest guest, for the next start's lead
        statuses.stream().filter(st -> !Double.isNaN(st.armed()) && !Double.isNaN(st.started()))
                .mapToLong(st -> Math.round((st.armed() - st.started()) * 1000)).max()
                .ifPresent(setup -> fioSetupMillis = Math.max(50, Math.min(3_000, setup)));
        Map<String, byte[]> logs = new LinkedHashMap<>();
        Map<String, String> raw = events.phase("collect fio's JSON" + step, () -> {
            List<Collected> fetched = Parallel.each(pool, java.util.stream.IntStream.range(0, active.size()).boxed()
                    .toList(), i -> statuses.get(i).succeeded() ? collect(active.get(i)) : null);
            // recorded here, on the test's thread (the report's context); every JSON before any logs' failure
            Map<String, String> collected = new LinkedHashMap<>();
            for (int i = 0; i < active.size(); i++) {
                if (fetched.get(i) != null) {
                    collected.put(active.get(i).name(), fetched.get(i).json());
                    events.onRawOutput(measured, permutation, active.get(i).name() + label, fetched.get(i).json());
                }
            }
            for (int i = 0; i < active.size(); i++) {
                Collected c = fetched.get(i);
                if (c != null && c.logsFailure() != null) {
                    throw c.logsFailure();
                }
                if (c != null && c.logs().length > 0) {
                    events.onLogs(measured, permutation, active.get(i).name() + label, c.logs());
                    logs.put(active.get(i).name(), c.logs());
                }
            }
            return collected;
        });
        requireAll(active, statuses, GuestStatus::succeeded, "running " + permutation);
        requireSameInstances(active, permutation);
        long t4 = System.nanoTime();
        List<FioMetrics> metrics = new ArrayList<>();
        // every VM's measuring window on this machine's clock, each guest's clock offset taken out: from when fio's first
        // job began (its exec_prerun stamp, after fio's set-up and any startdelay) plus the warm-up, to when its last
        // job's I/O ended (its exec_postrun stamp, before fio writes its output); a guest that gives no stamps, from
        // fio's launch to the end fio stamped on its output (fio's own set-up and tear-down counted as measuring)
        List<double[]> windows = new ArrayList<>();
        // fio's time as the guests ran it: launch to the end fio stamped on its output
        List<double[]> launched = new ArrayList<>();
        for (int i = 0; i < active.size(); i++) {
            String name = active.get(i).name();
            double offset = offsetOf.get(name).toNanos() / 1e9;
            FioOutput output = FioOutput.parse(name, raw.get(name));
            metrics.addAll(output.metrics());
            double start = statuses.get(i).started() - offset;
            double end = output.endEpochMillis().isPresent() ? output.endEpochMillis().getAsLong() / 1000.0 - offset
                    : statuses.get(i).finished() - offset;
            launched.add(new double[] {start, end});
            double measuring = statuses.get(i).measuring();
            double ended = statuses.get(i).ended();
            windows.add(new double[] {(Double.isNaN(measuring) ? start : measuring - offset)
                    + jobs.ramp().toNanos() / 1e9, Double.isNaN(ended) ? end : ended - offset});
        }
        double firstStart = windows.stream().mapToDouble(w -> w[0]).min().orElse(Double.NaN);
        double lastStart = windows.stream().mapToDouble(w -> w[0]).max().orElse(Double.NaN);
        double firstLaunch = launched.stream().mapToDouble(w -> w[0]).min().orElse(Double.NaN);
        double lastEnd = launched.stream().mapToDouble(w -> w[1]).max().orElse(Double.NaN);
        RunTimings timings = new RunTimings(Duration.ofNanos(t1 - t0).minus(longest(prefilled)), longest(prefilled),
                seconds(lastStart - firstStart), seconds(lastEnd - firstLaunch), Duration.ofNanos(t4 - t3),
                Duration.ofNanos(t4 - t0), reconnects() - reconnectsBefore, RunTimings.overlapPct(windows));
        return new FioRun(measured, permutation, raw, metrics, timings, provisioning, dev.vmbench.fio.Samples.ONE,
                series(active, logs, offsetOf), jobs.directions(permutation));
    }

    /** What one guest gave after a job: fio's JSON, its interval logs (or why not). */
    private record Collected(String json, byte[] logs, GuestException logsFailure) {
    }

    private Collected collect(GuestVm g) {
        String json = g.agent().result();
        if (jobs.logInterval().isZero()) {
            return new Collected(json, new byte[0], null);
        }
        try {
            return new Collected(json, g.agent().logs(), null);
        } catch (GuestException e) {
            return new Collected(json, new byte[0], e);
        }
    }

    /** Every VM's course over time from its interval logs, on this machine's clock; NONE when logs are off. */
    private dev.vmbench.fio.TimeSeries series(List<GuestVm> active, Map<String, byte[]> logs,
            Map<String, Duration> offsetOf) {
        if (jobs.logInterval().isZero()) {
            return dev.vmbench.fio.TimeSeries.NONE;
        }
        Map<String, List<dev.vmbench.fio.TimeSeries.Point>> vms = new LinkedHashMap<>();
        for (GuestVm g : active) {
            byte[] gzip = logs.get(g.name());
            vms.put(g.name(), gzip == null ? List.of() : dev.vmbench.fio.TimeSeries.parse(g.name(),
                    dev.vmbench.fio.TimeSeries.gunzip(g.name(), gzip), jobs.logInterval(), offsetOf.get(g.name())));
        }
        return new dev.vmbench.fio.TimeSeries(jobs.logInterval(), vms);
    }

    /**
     * Launches a job on every VM and blocks until every VM has finished it. A timeout stops the job on every
     * VM (so the next permutation can run) and breaks the test with the active' diagnostics attached.
     */
    private List<GuestStatus> runEverywhere(List<GuestVm> active,
            java.util.function.Function<GuestVm, GuestStatus> launch, Duration budget) {
        try {
            return Parallel.each(pool, active, g -> {
                GuestStatus launched = launch.apply(g);
                // a launch can finish at once (a file already laid out); otherwise block until it is done
                return launched.running() ? g.agent().await(budget) : launched;
            });
        } catch (GuestTimeoutException e) {
            active.forEach(g -> g.agent().stop());
            collectEvidence();
            throw e;
        } catch (GuestException e) {
            collectEvidence();
            throw e;
        }
    }

    private void requireAll(List<GuestVm> active, List<GuestStatus> statuses,
            java.util.function.Predicate<GuestStatus> ok, String what) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < active.size(); i++) {
            if (!ok.test(statuses.get(i))) {
                failures.add(active.get(i).name() + " (" + statuses.get(i).state() + ", exit " + statuses.get(i).exit() + ")");
            }
        }
        if (!failures.isEmpty()) {
            Map<String, String> evidence = collectEvidence();
            throw new GuestException("fio failed on VM " + String.join(", ", failures) + " " + what
                    + "; fio said: [" + fioStderr(evidence) + "]. Fix: see the attached guest diagnostics.");
        }
    }

    private static String instanceUid(KubernetesClient client, String namespace, String vm) {
        GenericKubernetesResource vmi = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, namespace).withName(vm).get();
        return vmi == null ? "none" : vmi.getMetadata().getUid();
    }

    /**
     * A VMI with a new UID means the VM restarted while fio ran (a crash, an eviction): what was measured is not
     * the storage's steady state. The raw output stays on disk; the permutation breaks instead of passing.
     */
    private void requireSameInstances(List<GuestVm> active, FioPermutation permutation) {
        List<String> replaced = new ArrayList<>();
        for (GuestVm g : active) {
            String now = instanceUid(client, namespace, g.name());
            String before = instanceUids.put(g.name(), now);
            if (!now.equals(before)) {
                replaced.add(g.name() + " (uid " + before + " → " + now + ")");
            }
        }
        if (!replaced.isEmpty()) {
            collectEvidence();
            throw new GuestException("The VMI of VM " + String.join(", ", replaced) + " was replaced during "
                    + permutation + ": the VM restarted, so this result is not valid and was not recorded as one (its "
                    + "raw output is kept). Fix: see the VM's events in the attached diagnostics.");
        }
    }

    private int reconnects() {
        return guests.stream().mapToInt(g -> g.agent().reconnects()).sum();
    }

    /** The longest guest-side run among {@code statuses}, by the guests' own clocks. */
    private static Duration longest(List<GuestStatus> statuses) {
        return seconds(statuses.stream().mapToDouble(st -> st.finished() - st.started()).max().orElse(Double.NaN));
    }

    private static Duration seconds(double s) {
        return Double.isNaN(s) ? Duration.ZERO : Duration.ofNanos((long) (s * 1e9));
    }

    private Map<String, String> collectEvidence() {
        Map<String, String> evidence = new LinkedHashMap<>(Diagnostics.collect(client, namespace, selector));
        for (GuestVm g : guests) {
            evidence.put(g.name() + "-guest-diagnose.txt", g.agent().diagnose());
        }
        events.onDiagnostics(spec, evidence);
        return evidence;
    }

    private static String fioStderr(Map<String, String> evidence) {
        for (String text : evidence.values()) {
            int at = text.indexOf("== fio stderr");
            if (at >= 0) {
                String tail = text.substring(at + "== fio stderr".length()).trim();
                return tail.lines().limit(5).reduce((a, b) -> a + " | " + b).orElse("(nothing)");
            }
        }
        return "(no stderr collected)";
    }

    /**
     * A new probe of the storage capabilities (snapshot, restore, clone, expansion, live migration) on the group's first
     * VM; it keeps what one check leaves for the next (the snapshot a restore restores).
     */
    public CapabilityProbe capabilities() {
        return provisioner.capabilityProbe(this);
    }

    /** Marks the group as having a failed or broken test, which {@link CleanupMode#ON_SUCCESS} keeps. */
    public void markFailed() {
        failed = true;
    }

    /** Closes the sessions and deletes or keeps the group's resources. Safe to call twice. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        guests.forEach(GuestVm::close);
        pool.shutdownNow();
        boolean keep = cleanup == CleanupMode.NEVER || (cleanup == CleanupMode.ON_SUCCESS && failed);
        if (keep) {
            onKeep.accept(spec.hash());
            LOG.warn("Kept VM group {} (cleanup={}{}). Delete it with: {}", spec, cleanup.spelling(),
                    failed ? ", a test failed" : "", Cleanup.deleteCommand(namespace, selector));
            events.onKept(spec, Cleanup.deleteCommand(namespace, selector));
            return;
        }
        List<String> problems = Cleanup.deleteLabelled(client, namespace, selector, Duration.ofMinutes(5));
        if (problems.isEmpty()) {
            LOG.info("Deleted VM group {}", spec);
        } else {
            LOG.warn("VM group {} was not fully deleted. Delete the rest with: {}", spec,
                    Cleanup.deleteCommand(namespace, selector));
        }
    }

    @Override
    public String toString() {
        return "VmGroup[" + spec + ", " + vms() + "]";
    }
}
