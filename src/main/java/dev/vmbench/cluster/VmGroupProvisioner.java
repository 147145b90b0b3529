package dev.vmbench.cluster;

import dev.vmbench.config.BenchConfig;
import dev.vmbench.config.CleanupMode;
import dev.vmbench.guest.GuestAgent;
import dev.vmbench.guest.GuestChannel;
import dev.vmbench.guest.GuestShell;
import dev.vmbench.guest.SshIdentity;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.profile.FioJobs;
import dev.vmbench.template.Templates;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.stream.IntStream;
import org.apache.sshd.client.SshClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a VM group: renders each VM's cloud-init Secret, data-disk PVC and VirtualMachine from the
 * templates, creates them all in parallel, waits (by watch) until every VM is Ready, and opens one SSH
 * session per VM through the VMI portforward tunnel. On failure it collects diagnostics, deletes what it
 * created (unless the cleanup mode keeps it) and throws a {@link ProvisioningException}.
 */
public final class VmGroupProvisioner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VmGroupProvisioner.class);

    private final KubernetesClient client;
    private final KubernetesClient tunnelClient;
    private final BenchConfig config;
    private final Templates templates;
    private final SshClient ssh;
    private final SshIdentity identity;
    private final String runId;
    private final String session;
    private final FioJobs jobs;
    /** Groups a cleanup mode kept, by group hash: the shutdown hook spares them as the run's own cleanup did. */
    private final java.util.Set<String> keptGroups = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private RunLease lease;

    /**
     * @param tunnelClient a client for the guest tunnels only: it must not retry websocket handshakes,
     *                     because readiness decides what to retry
     */
    public VmGroupProvisioner(KubernetesClient client, KubernetesClient tunnelClient, BenchConfig config,
            Templates templates, SshClient ssh, SshIdentity identity, String runId, FioJobs jobs) {
        this(client, tunnelClient, config, templates, ssh, identity, runId, runId, jobs);
    }

    /**
     * @param session what makes resource names unique: the run id, or for a resumed run a fresh token, so names
     *                never collide with what a hard-killed earlier session of the same run left behind
     */
    public VmGroupProvisioner(KubernetesClient client, KubernetesClient tunnelClient, BenchConfig config,
            Templates templates, SshClient ssh, SshIdentity identity, String runId, String session, FioJobs jobs) {
        this.session = session;
        this.client = client;
        this.tunnelClient = tunnelClient;
        this.config = config;
        this.templates = templates;
        this.ssh = ssh;
        this.identity = identity;
        this.runId = runId;
        this.jobs = jobs;
    }

    CapabilityProbe capabilityProbe(VmGroup group) {
        Preflight.checkCapabilities(client, config.namespace());
        return new CapabilityProbe(client, config.namespace(), Labels.of(runId, group.spec()), templates, group,
                config.fileSizeBytes(), config.readyTimeout());
    }

    /** The manifests of one VM, rendered; the Secret also in a redacted form for records. */
    record Rendered(ResourceNames names, SshIdentity.HostKey hostKey, String secret, String redactedSecret,
            String dataDisk, String virtualMachine) {
    }

    /**
     * Renders every manifest of every VM of {@code spec} (Secret redacted) for a dry run, touching no cluster: the
     * data disks' volume mode is the configured one, or Filesystem when the StorageProfile would decide.
     */
    public void renderInto(VmGroupSpec spec, java.util.function.BiConsumer<String, String> sink) {
        for (int i = 0; i < spec.concurrency(); i++) {
            Rendered vm = render(spec, i);
            sink.accept(vm.names().cloudInitSecret() + ".secret.yaml", vm.redactedSecret());
            sink.accept(vm.names().dataDisk() + ".pvc.yaml", vm.dataDisk());
            sink.accept(vm.names().vm() + ".vm.yaml", vm.virtualMachine());
        }
    }

    /** Renders every manifest of VM {@code index} of {@code spec} without touching the cluster. */
    Rendered render(VmGroupSpec spec, int index) {
        ResourceNames names = ResourceNames.of(session, spec, index);
        SshIdentity.HostKey hostKey = SshIdentity.newHostKey();
        Map<String, Object> scope = new HashMap<>();
        scope.put("name", names.vm());
        scope.put("namespace", config.namespace());
        scope.put("labels", Labels.of(runId, spec).entrySet().stream()
                .map(e -> Map.of("key", e.getKey(), "value", e.getValue())).toList());
        scope.put("rootDisk", names.rootDisk());
        scope.put("dataDisk", names.dataDisk());
        scope.put("secret", names.cloudInitSecret());
        scope.put("dataDiskSerial", names.dataDiskSerial());
        scope.put("dataSourceNamespace", config.dataSourceNamespace());
        scope.put("dataSourceName", config.dataSourceName());
        scope.put("rootDiskSize", config.rootDiskSize());
        config.rootStorageClass().ifPresent(sc -> scope.put("rootStorageClass", sc));
        scope.put("cpus", spec.vmSize().cpus());
        scope.put("memory", spec.vmSize().memory());
        scope.put("pool", spec.pool());
        scope.put("pvcSize", spec.pvcSize());
        ClaimProperties data = claimProperties(spec.pool());
        scope.put("accessModes", data.accessModes());
        scope.put("volumeMode", config.volumeMode().orElse(data.volumeMode()));
        scope.put("evictionStrategy", evictionStrategy(data));
        scope.put("user", config.sshUser());
        scope.put("authorizedKey", identity.authorizedKey());
        scope.put("hostKeyPrivateLines", hostKey.openSshPrivateLines());
        scope.put("hostKeyPublic", hostKey.openSshPublic());
        scope.put("guestScriptB64", base64(templates.file("vmbench-guest")));
        scope.put("guestUnitB64", base64(templates.file("vmbench-fio.service")));
        String userData = templates.render("cloud-init.yaml.mustache", scope);
        scope.put("userDataB64", base64(userData.getBytes(StandardCharsets.UTF_8)));
        String secret = templates.render("cloud-init-secret.yaml.mustache", scope);
        scope.put("userDataB64", "REDACTED");
        String redacted = templates.render("cloud-init-secret.yaml.mustache", scope);
        return new Rendered(names, hostKey, secret, redacted,
                templates.render("data-disk.yaml.mustache", scope),
                templates.render("virtualmachine.yaml.mustache", scope));
    }

    /**
     * Provisions {@code spec}; reports manifests, readiness and evidence to {@code events}.
     *
     * @throws ProvisioningException naming the VM, what failed and the fix
     */
    public VmGroup provision(VmGroupSpec spec, GroupEvents events) {
        return provision(spec, events, spec.concurrency());
    }

    /**
     * Provisions the first {@code vms} VMs of {@code spec}; the group may {@link VmGroup#grow grow} to its
     * concurrency later (a density search starts with one).
     */
    public VmGroup provision(VmGroupSpec spec, GroupEvents events, int vms) {
        // a run being deleted (Ctrl+C) starts no group: nothing to diagnose, nothing to clean up after
        requireNotStopping("VM group " + spec);
        Map<String, String> selector = Map.of(Labels.RUN, runId, Labels.GROUP, spec.hash());
        ExecutorService pool = Parallel.pool("vmbench-" + spec.hash(), spec.concurrency());
        List<GuestVm> guests = new ArrayList<>();
        try {
            ensureNamespace();
            holdLease();
            LOG.info("Provisioning VM group {} ({} VMs) in {}", spec, vms, config.namespace());
            Added added = add(spec, IntStream.range(0, vms).boxed().toList(), events, pool, guests);
            return new VmGroup(spec, client, config.namespace(), selector, added.guests(), pool, jobs, events,
                    config.cleanup(), keptGroups::add, new dev.vmbench.fio.Provisioning(added.readySinceCreate(),
                            added.took()), config.samples(), this);
        } catch (RuntimeException e) {
            Map<String, String> evidence = Diagnostics.collect(client, config.namespace(), selector);
            synchronized (guests) {
                guests.forEach(g -> evidence.put(g.name() + "-guest-diagnose.txt", g.agent().diagnose()));
                guests.forEach(GuestVm::close);
            }
            events.onDiagnostics(spec, evidence);
            pool.shutdownNow();
            if (config.cleanup() == CleanupMode.ALWAYS) {
                Cleanup.deleteLabelled(client, config.namespace(), selector, Duration.ofMinutes(5));
            } else {
                keptGroups.add(spec.hash());
                LOG.warn("Kept the failed VM group {} (cleanup={}). Delete it with: {}", spec,
                        config.cleanup().spelling(), Cleanup.deleteCommand(config.namespace(), selector));
                events.onKept(spec, Cleanup.deleteCommand(config.namespace(), selector));
            }
            throw e instanceof ProvisioningException p ? p
                    : new ProvisioningException(e.getMessage(), e);
        }
    }

    /**
     * Adds VMs {@code indexes} of {@code spec} to its running group (same labels, same pool of threads) and returns
     * them ready; a failure leaves them to the group's cleanup and breaks the caller with the evidence reported.
     */
    Added grow(VmGroupSpec spec, List<Integer> indexes, GroupEvents events, ExecutorService pool) {
        Map<String, String> selector = Map.of(Labels.RUN, runId, Labels.GROUP, spec.hash());
        List<GuestVm> guests = new ArrayList<>();
        try {
            LOG.info("Adding {} VM(s) to group {} (VMs {} to {})", indexes.size(), spec, indexes.get(0),
                    indexes.get(indexes.size() - 1));
            return add(spec, indexes, events, pool, guests);
        } catch (RuntimeException e) {
            Map<String, String> evidence = Diagnostics.collect(client, config.namespace(), selector);
            synchronized (guests) {
                guests.forEach(g -> evidence.put(g.name() + "-guest-diagnose.txt", g.agent().diagnose()));
                guests.forEach(GuestVm::close);
            }
            events.onDiagnostics(spec, evidence);
            throw e instanceof ProvisioningException p ? p : new ProvisioningException(e.getMessage(), e);
        }
    }

    /** VMs brought up together: connected guests, each one's create-to-ready time, and the whole step's. */
    record Added(List<GuestVm> guests, Map<String, Duration> readySinceCreate, Duration took) {
    }

    /**
     * Creates VMs {@code indexes} of {@code spec}, waits until every one is ready (cloud-init finished), connects to
     * each; every guest connected is also put in {@code guests}, so a failure can still collect and close them.
     */
    private Added add(VmGroupSpec spec, List<Integer> indexes, GroupEvents events, ExecutorService pool,
            List<GuestVm> guests) {
        Map<String, String> selector = Map.of(Labels.RUN, runId, Labels.GROUP, spec.hash());
        long t0 = System.nanoTime();
        List<Rendered> vms = indexes.stream().map(i -> render(spec, i)).toList();
        for (Rendered vm : vms) {
            events.onManifest(spec, vm.names().cloudInitSecret() + ".secret.yaml", vm.redactedSecret());
            events.onManifest(spec, vm.names().dataDisk() + ".pvc.yaml", vm.dataDisk());
            events.onManifest(spec, vm.names().vm() + ".vm.yaml", vm.virtualMachine());
        }
        // admission webhooks, quotas and schema errors surface here, before anything costs a clone
        create(vms.get(0), true);
        Parallel.each(pool, vms, vm -> {
            create(vm, false);
            return null;
        });
        long t1 = System.nanoTime();
        Map<String, String> rootDisks = new LinkedHashMap<>();
        vms.forEach(vm -> rootDisks.put(vm.names().vm(), vm.names().rootDisk()));
        Map<String, Map<String, Long>> vmPhases = Readiness.awaitGroup(client, config.namespace(), selector,
                rootDisks, config.readyTimeout(), config.transientGrace(), config.cloneStallTimeout());
        long t2 = System.nanoTime();
        Duration sshDeadline = config.readyTimeout().minusNanos(t2 - t0);
        Map<String, Long> sshReady = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Long> cloudInitDone = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Duration> readySinceCreate = new java.util.concurrent.ConcurrentHashMap<>();
        List<GuestVm> connected = Parallel.each(pool, vms, vm -> {
            GuestVm g = connect(vm, sshDeadline.isNegative() ? Duration.ofSeconds(30) : sshDeadline);
            sshReady.put(vm.names().vm(), (System.nanoTime() - t2) / 1_000_000);
            synchronized (guests) {
                guests.add(g);
            }
            // ready means cloud-init finished (fio installed, data disk mounted), not merely SSH up
            Duration left = config.readyTimeout().minusNanos(System.nanoTime() - t0);
            awaitCloudInit(g, left.isNegative() ? Duration.ofSeconds(1) : left);
            cloudInitDone.put(vm.names().vm(), (System.nanoTime() - t2) / 1_000_000);
            readySinceCreate.put(vm.names().vm(), Duration.ofNanos(System.nanoTime() - t0));
            return g;
        });
        long t3 = System.nanoTime();
        Map<String, String> sysinfo = new LinkedHashMap<>();
        List<String> infos = Parallel.each(pool, connected, g -> g.agent().sysinfo());
        for (int i = 0; i < connected.size(); i++) {
            sysinfo.put(connected.get(i).name(), infos.get(i));
        }
        Map<String, Long> phases = new LinkedHashMap<>();
        phases.put("create", (t1 - t0) / 1_000_000);
        phases.put("ready", (t2 - t1) / 1_000_000);
        phases.put("ssh", (t3 - t2) / 1_000_000);
        vmPhases.forEach((vm, times) -> {
            times.forEach((phase, ms) -> phases.put(vm + " " + phase, ms));
            phases.put(vm + " ssh", sshReady.getOrDefault(vm, -1L));
            phases.put(vm + " cloud-init", cloudInitDone.getOrDefault(vm, -1L));
        });
        events.onProvisioned(spec, sysinfo, phases);
        events.onConsoles(spec, Diagnostics.consoles(client, config.namespace(), selector));
        LOG.info("VM group {} provisioned in {} ms: {}", spec, (t3 - t0) / 1_000_000, phases);
        return new Added(connected, new java.util.TreeMap<>(readySinceCreate), Duration.ofNanos(t3 - t0));
    }

    /**
     * Starts {@code spec}'s pod baseline: a Secret with the guest script, a Filesystem PVC of the group's StorageClass
     * and size, and a pod of the VM size's CPUs and memory running {@code vmbench.podBaseline.image}; waits until it
     * runs and the guest script answers in it.
     *
     * @throws ProvisioningException naming the pod, what kept it from running and the fix
     */
    public BaselinePod startBaselinePod(VmGroupSpec spec, GroupEvents events) {
        ensureNamespace();
        // the gate's Role runs no pods: the pod baseline's Role is checked when the pod baseline runs
        Preflight.checkPodBaseline(client, config.namespace());
        holdLease();
        String base = ResourceNames.of(session, spec, 0).vm() + "-pod";
        Map<String, String> labels = new LinkedHashMap<>(Labels.of(runId, spec));
        labels.put(Labels.BASELINE, "pod");
        Map<String, String> selector = Map.of(Labels.RUN, runId, Labels.GROUP, spec.hash(), Labels.BASELINE, "pod");
        Map<String, Object> scope = new HashMap<>();
        scope.put("name", base);
        scope.put("namespace", config.namespace());
        scope.put("labels", labels.entrySet().stream().map(e -> Map.of("key", e.getKey(), "value", e.getValue()))
                .toList());
        scope.put("secret", base + "-script");
        scope.put("dataDisk", base + "-data");
        scope.put("pool", spec.pool());
        scope.put("pvcSize", spec.pvcSize());
        // a pod mounts a file system; the VM's Block volume carries the guest's ext4 instead
        scope.put("volumeMode", "Filesystem");
        scope.put("accessModes", List.of("ReadWriteOnce"));
        scope.put("image", config.podBaselineImage());
        scope.put("cpus", spec.vmSize().cpus());
        scope.put("memory", spec.vmSize().memory());
        scope.put("guestScriptB64", base64(templates.file("vmbench-guest")));
        String secret = templates.render("baseline-pod-secret.yaml.mustache", scope);
        String pvc = templates.render("data-disk.yaml.mustache", scope);
        String pod = templates.render("baseline-pod.yaml.mustache", scope);
        events.onManifest(spec, base + "-script.secret.yaml", secret);
        events.onManifest(spec, base + "-data.pvc.yaml", pvc);
        events.onManifest(spec, base + ".pod.yaml", pod);
        String ns = config.namespace();
        LOG.info("Starting baseline pod {} ({} on {}) in {}", base, config.podBaselineImage(), spec.pool(), ns);
        apply("Secret", base + "-script", false, () -> client.secrets().inNamespace(ns)
                .resource(Serialization.unmarshal(secret, Secret.class)).create());
        apply("PersistentVolumeClaim", base + "-data", false, () -> client.persistentVolumeClaims().inNamespace(ns)
                .resource(Serialization.unmarshal(pvc, PersistentVolumeClaim.class)).create());
        apply("Pod", base, false, () -> client.pods().inNamespace(ns)
                .resource(Serialization.unmarshal(pod, io.fabric8.kubernetes.api.model.Pod.class)).create());
        try {
            awaitRunning(base);
            GuestAgent agent = new GuestAgent(new dev.vmbench.guest.PodExec(client, ns, base, "fio"));
            String sysinfo = agent.sysinfo();
            events.onProvisioned(spec, Map.of(base, sysinfo), Map.of());
            return new BaselinePod(spec, client, ns, base, selector, agent, jobs, events);
        } catch (RuntimeException e) {
            events.onDiagnostics(spec, Diagnostics.collect(client, ns, selector));
            Cleanup.deleteLabelled(client, ns, selector, Duration.ofMinutes(2));
            throw e instanceof ProvisioningException p ? p : new ProvisioningException("Baseline pod " + ns + "/" + base
                    + " did not come up: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the pod runs with its container ready. A container waiting for any other reason than
     * ContainerCreating (ErrImagePull, ImagePullBackOff, CreateContainerConfigError…) may still leave that state by
     * itself, as the kubelet retries; it counts as a failure after {@code vmbench.transientGrace}, as a VM's
     * transient states do. A Failed pod fails at once.
     */
    private void awaitRunning(String pod) {
        String ns = config.namespace();
        long deadline = System.nanoTime() + config.readyTimeout().toNanos();
        io.fabric8.kubernetes.api.model.Pod seen = awaitPod(pod, p -> ready(p) || failed(p) || stuck(p).isPresent(),
                deadline);
        while (!ready(seen) && !failed(seen)) {
            // the kubelet alternates ErrImagePull and ImagePullBackOff: the grace runs from the first of them
            String first = stuck(seen).orElseThrow();
            long graceEnd = Math.min(deadline, System.nanoTime() + config.transientGrace().toNanos());
            try {
                seen = awaitPod(pod, p -> ready(p) || failed(p) || stuck(p).isEmpty(), graceEnd);
            } catch (ProvisioningException e) {
                io.fabric8.kubernetes.api.model.Pod now = client.pods().inNamespace(ns).withName(pod).get();
                String reason = now == null || now.getStatus() == null ? first : stuck(now).orElse(first);
                String message = now == null || now.getStatus() == null || now.getStatus().getContainerStatuses() == null
                        ? "" : now.getStatus().getContainerStatuses().stream().filter(c -> c.getState() != null
                                && c.getState().getWaiting() != null).map(c -> c.getState().getWaiting().getMessage())
                                .filter(java.util.Objects::nonNull).findFirst().map(m -> ": " + m).orElse("");
                throw new ProvisioningException("Baseline pod " + ns + "/" + pod + " cannot run: its container waited "
                        + "in [" + reason + "] for more than " + config.transientGrace().toSeconds() + "s "
                        + "(vmbench.transientGrace)" + message + " (image " + config.podBaselineImage() + "). Fix: set "
                        + "-Dvmbench.podBaseline.image to an image that the cluster can pull, with bash, fio and "
                        + "coreutils, that runs as a non-root user.", e);
            }
            if (!ready(seen) && !failed(seen)) {
                seen = awaitPod(pod, p -> ready(p) || failed(p) || stuck(p).isPresent(), deadline);
            }
        }
        if (failed(seen)) {
            throw new ProvisioningException("Baseline pod " + ns + "/" + pod + " failed (" + java.util.Objects
                    .requireNonNullElse(seen.getStatus().getMessage(), "phase Failed") + "). Fix: see its events "
                    + "(attached); the image's sleep must keep the container running.");
        }
    }

    /** The pod once {@code until} holds for it, or a ProvisioningException at {@code deadline} (System.nanoTime). */
    private io.fabric8.kubernetes.api.model.Pod awaitPod(String pod,
            java.util.function.Predicate<io.fabric8.kubernetes.api.model.Pod> until, long deadline) {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        try {
            return client.pods().inNamespace(config.namespace()).withName(pod).waitUntilCondition(p -> p != null
                    && p.getStatus() != null && until.test(p), left, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (KubernetesClientException e) {
            throw new ProvisioningException("Baseline pod " + config.namespace() + "/" + pod + " was not running "
                    + "within vmbench.readyTimeout (" + config.readyTimeout().toSeconds() + "s): " + e.getMessage()
                    + ". Fix: see its events (attached); a PVC of the StorageClass must bind and the image must pull.",
                    e);
        }
    }

    private static boolean failed(io.fabric8.kubernetes.api.model.Pod p) {
        return "Failed".equals(p.getStatus().getPhase());
    }

    /** The reason the container waits for, unless it is still being created. */
    private static java.util.Optional<String> stuck(io.fabric8.kubernetes.api.model.Pod p) {
        return waiting(p).filter(reason -> !reason.equals("ContainerCreating"));
    }

    private static boolean ready(io.fabric8.kubernetes.api.model.Pod p) {
        return "Running".equals(p.getStatus().getPhase()) && p.getStatus().getContainerStatuses() != null
                && p.getStatus().getContainerStatuses().stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
    }

    private static java.util.Optional<String> waiting(io.fabric8.kubernetes.api.model.Pod p) {
        return p.getStatus().getContainerStatuses() == null ? java.util.Optional.empty()
                : p.getStatus().getContainerStatuses().stream().filter(c -> c.getState() != null
                        && c.getState().getWaiting() != null).map(c -> c.getState().getWaiting().getReason())
                        .filter(java.util.Objects::nonNull).findFirst();
    }

    /** Claim properties per StorageClass, read once per run (read-only: a dry run asks the same). */
    private final Map<String, ClaimProperties> claims = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * What CDI's StorageProfile recommends for {@code pool}'s volumes; the Kubernetes defaults when it says nothing
     * or no cluster can be asked (a dry run without one: {@link #unknownUntilTheRun}).
     */
    ClaimProperties claimProperties(String pool) {
        if (client == null) {
            return ClaimProperties.DEFAULT;
        }
        return claims.computeIfAbsent(pool, name -> ClaimProperties.recommended(client, name).orElseGet(() -> {
            LOG.info("StorageProfile {} recommends nothing; the data disks use {} (set -Dvmbench.volumeMode to "
                    + "choose the volume mode)", name, ClaimProperties.DEFAULT);
            return ClaimProperties.DEFAULT;
        }));
    }

    /**
     * The VMs' evictionStrategy: as set, or with {@code auto} LiveMigrate when the data disk and the root disk are
     * ReadWriteMany (so a node drain moves the VM), None otherwise (so a drain does not wait on a VM that cannot
     * move: KubeVirt would otherwise block it).
     */
    String evictionStrategy(ClaimProperties data) {
        if (!config.evictionStrategy().equals("auto")) {
            return config.evictionStrategy();
        }
        if (client == null || !data.readWriteMany()) {
            return "None";
        }
        return rootReadWriteMany() ? "LiveMigrate" : "None";
    }

    /** Whether the root disks' StorageClass is ReadWriteMany; asked once per run. */
    private synchronized boolean rootReadWriteMany() {
        if (rootReadWriteMany == null) {
            rootReadWriteMany = Preflight.rootClassName(client, config).map(this::claimProperties)
                    .map(ClaimProperties::readWriteMany).orElse(false);
        }
        return rootReadWriteMany;
    }

    private Boolean rootReadWriteMany;

    /** What a dry run without a cluster cannot know, for plan.txt. */
    public List<String> unknownUntilTheRun() {
        return client != null ? List.of() : List.of("the data disks' accessModes and volumeMode (from each "
                + "StorageClass's CDI StorageProfile; rendered as " + String.join("/", ClaimProperties.DEFAULT
                .accessModes()) + " and " + config.volumeMode().orElse(ClaimProperties.DEFAULT.volumeMode()) + ")",
                "the VMs' evictionStrategy " + (config.evictionStrategy().equals("auto") ? "(auto: LiveMigrate only "
                        + "when the disks are ReadWriteMany; rendered as None)" : "(set: " + config.evictionStrategy()
                        + ")"));
    }

    /**
     * Deletes what earlier vmbench runs left in the namespace (anything labelled managed-by=vmbench with another
     * run id) and returns what it found, as {@code kind name (run)}.
     */
    /** How long a sweep watches other runs' leases for a renewal ({@link RunLease#WATCH}; shorter in tests). */
    private Duration leaseWatch = RunLease.WATCH;

    /** The same provisioner with another lease watch, for tests that cannot wait a renewal period. */
    VmGroupProvisioner watchingLeasesFor(Duration watch) {
        leaseWatch = watch;
        return this;
    }

    public List<String> sweepEarlierRuns() {
        String ns = config.namespace();
        // what each earlier run left, as "kind name (run id)"
        Map<String, List<String>> byRun = new java.util.TreeMap<>();
        for (io.fabric8.kubernetes.api.model.HasMetadata r : Cleanup.labelled(client, ns,
                Map.of(Labels.MANAGED_BY, Labels.MANAGER))) {
            String run = r.getMetadata().getLabels().getOrDefault(Labels.RUN, "?");
            if (!run.equals(runId)) {
                byRun.computeIfAbsent(run, k -> new ArrayList<>()).add(r.getKind() + " " + r.getMetadata().getName()
                        + " (run " + run + ")");
            }
        }
        List<String> swept = new ArrayList<>();
        // whether another run is alive is seen from its lease moving, never from comparing its clock with this one
        java.util.Set<String> alive = byRun.isEmpty() ? java.util.Set.of()
                : RunLease.alive(client, ns, byRun.keySet(), leaseWatch);
        byRun.forEach((run, resources) -> {
            if (alive.contains(run)) {
                return;
            }
            Cleanup.deleteLabelled(client, ns, Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.RUN, run),
                    Duration.ofMinutes(5));
            client.leases().inNamespace(ns).withName(RunLease.name(run)).delete();
            swept.addAll(resources);
        });
        if (!alive.isEmpty()) {
            LOG.info("Not swept: run(s) {} still renew their lease in {} (their harness is alive)", alive, ns);
        }
        return swept;
    }

    /**
     * Deletes everything of this run but the groups its cleanup mode kept, for Ctrl+C; returns what could not be
     * deleted.
     */
    public List<String> deleteRun(Duration deadline) {
        // creating stops first, and what was already sent lands (or fails) before the deletion lists by label: no
        // creation of a provisioning thread can arrive after the sweep and be left behind
        stopping = true;
        try {
            org.awaitility.Awaitility.await("creations already sent").pollInSameThread().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).until(() -> creating.get() == 0);
        } catch (org.awaitility.core.ConditionTimeoutException stillSending) {
            LOG.warn("{} creation(s) still under way after 10 s; deleting what is there", creating.get());
        }
        return Cleanup.deleteLabelled(client, config.namespace(), Map.of(Labels.RUN, runId), Set.copyOf(keptGroups),
                deadline);
    }

    private void requireNotStopping(String what) {
        if (stopping) {
            throw new ProvisioningException("The run is stopping (the JVM is shutting down): " + what + " is not "
                    + "created. Fix: none; the run's resources are being deleted.");
        }
    }

    /** Set once the run is being deleted (Ctrl+C): from then on nothing is created. */
    private volatile boolean stopping;
    /** Creations sent and not answered yet. */
    private final java.util.concurrent.atomic.AtomicInteger creating = new java.util.concurrent.atomic.AtomicInteger();

    private synchronized void holdLease() {
        if (lease == null) {
            lease = RunLease.take(client, config.namespace(), runId);
        }
    }

    /** Stops renewing the run's lease and deletes it. */
    @Override
    public synchronized void close() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    private void ensureNamespace() {
        String ns = config.namespace();
        try {
            if (client.namespaces().withName(ns).get() == null) {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
                        .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).endMetadata().build()).create();
                LOG.info("Created namespace {}", ns);
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw new ProvisioningException("get/create Namespace " + ns + " failed: " + serverSays(e)
                        + ". Fix: create it first, or grant 'create namespaces', or set -Dvmbench.namespace.", e);
            }
        }
    }

    /** Creates one VM's Secret, data PVC and VirtualMachine; with {@code dryRun} the server only admits them. */
    private void create(Rendered vm, boolean dryRun) {
        String ns = config.namespace();
        apply("Secret", vm.names().cloudInitSecret(), dryRun, () -> client.secrets().inNamespace(ns)
                .resource(Serialization.unmarshal(vm.secret(), Secret.class)).dryRun(dryRun).create());
        apply("PersistentVolumeClaim", vm.names().dataDisk(), dryRun, () -> client.persistentVolumeClaims()
                .inNamespace(ns).resource(Serialization.unmarshal(vm.dataDisk(), PersistentVolumeClaim.class))
                .dryRun(dryRun).create());
        apply("VirtualMachine", vm.names().vm(), dryRun, () -> KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns)
                .resource(Serialization.unmarshal(vm.virtualMachine(), GenericKubernetesResource.class))
                .dryRun(dryRun).create());
    }

    private void apply(String kind, String name, boolean dryRun, Runnable create) {
        creating.incrementAndGet();
        try {
            if (!dryRun) {
                requireNotStopping(kind + " " + config.namespace() + "/" + name);
            }
            create.run();
        } catch (KubernetesClientException e) {
            String says = serverSays(e);
            String fix = says.contains("insufficient permissions in clone source namespace")
                    // KubeVirt asks for the VM's ServiceAccount, not for this identity, so preflight could not see it
                    ? "KubeVirt checks the clone from the DataSource for the ServiceAccount the VMs run as (default "
                            + "in namespace " + config.namespace() + "), not for this identity: bind the Role "
                            + "vmbench-datasource in namespace " + config.dataSourceNamespace() + " to ServiceAccount "
                            + config.namespace() + "/default (RoleBinding vmbench-datasource-vms of "
                            + "docs/vmbench-role.yaml)"
                    : e.getCode() == 422 || e.getCode() == 400 ? "the cluster rejects the manifest (see the server's "
                            + "message; the rendered manifests are in the results folder)"
                            : "check the permissions and quotas of namespace " + config.namespace();
            throw new ProvisioningException((dryRun ? "server-side dry run of create " : "create ") + kind + " "
                    + config.namespace() + "/" + name + " failed: " + says + ". Fix: " + fix + ".", e);
        } finally {
            creating.decrementAndGet();
        }
    }

    /**
     * Waits for cloud-init to finish in {@code guest}: an error, or a cloud-init still running at the deadline,
     * breaks the group with cloud-init's own report.
     */
    private void awaitCloudInit(GuestVm guest, Duration deadline) {
        GuestAgent.CloudInit cloudInit = guest.agent().awaitCloudInit(deadline);
        if (cloudInit.exit() == 2) {
            LOG.warn("cloud-init finished with recoverable errors on VM {}:\n{}", guest.name(), cloudInit.report());
        } else if (cloudInit.exit() == 124) {
            throw new ProvisioningException("cloud-init was still running on VM " + guest.name() + " when the "
                    + config.readyTimeout().toSeconds() + "s of vmbench.readyTimeout ran out:\n" + cloudInit.report()
                    + "\nFix: see its log in the guest diagnostics (a slow package mirror is common); raise "
                    + "-Dvmbench.readyTimeout if it is merely slow.");
        } else if (!cloudInit.finished()) {
            throw new ProvisioningException("cloud-init failed on VM " + guest.name() + " (cloud-init status exit "
                    + cloudInit.exit() + "), so the guest is not set up as vmbench needs (fio, the data disk):\n"
                    + cloudInit.report() + "\nFix: the errors and the log lines above say which module failed; the "
                    + "rendered user data is in the results folder (manifests/, Secret redacted).");
        }
    }

    private GuestVm connect(Rendered vm, Duration deadline) {
        GuestChannel channel = GuestChannel.open(GuestChannel.Kind.parse(config.connector()), tunnelClient,
                config.namespace(), vm.names().vm(), config.sshPort());
        try {
            GuestShell shell = GuestShell.connect(ssh, vm.names().vm(), channel, config.sshUser(), identity,
                    vm.hostKey().publicKey(), deadline);
            return new GuestVm(vm.names().vm(), channel, shell, new GuestAgent(shell));
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static String serverSays(KubernetesClientException e) {
        String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : e.getMessage();
        return "HTTP " + e.getCode() + ": " + message;
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
