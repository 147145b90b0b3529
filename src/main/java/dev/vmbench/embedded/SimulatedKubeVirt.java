package dev.vmbench.embedded;

import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.map;
import static dev.vmbench.cluster.Untyped.list;
import static dev.vmbench.embedded.StatusWriter.condition;

import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded cluster's KubeVirt and CDI: watches VirtualMachines and moves each through the phases a real
 * cluster shows — root DataVolume CloneScheduled → CloneInProgress → Succeeded (with its PVC), VMI
 * Scheduling → Scheduled → Running, VM Provisioning → Starting → Running/Ready — then starts a
 * {@link SandboxGuest} from the VM's cloud-init Secret. Deleting a VM deletes what it owns, as the garbage
 * collector would. {@link Fault}s replace a phase with the failure KubeVirt would report.
 */
final class SimulatedKubeVirt implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedKubeVirt.class);
    private static final long STEP_MS = 40;

    private final KubernetesClient client;
    private final Path sandboxes;
    private final List<Fault> faults;
    private final ScheduledExecutorService steps = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simulated-kubevirt");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, EmbeddedGuest> guests = new ConcurrentHashMap<>();
    /** Present when VMs boot as QEMU guests of this image instead of sandboxes. */
    private final Optional<GuestImage> qemuImage;
    private final Map<String, String> launcherPods = new ConcurrentHashMap<>();
    /** VMs a delaying fault has already held back once. */
    private final java.util.Set<String> delayed = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger addresses = new java.util.concurrent.atomic.AtomicInteger();
    private final int sshPort;
    private final SandboxDisks disks;
    private SharedIndexInformer<GenericKubernetesResource> informer;
    /** Every VMI as last seen: read by the portforward subresource, which may not call back into the API server. */
    private SharedIndexInformer<GenericKubernetesResource> instances;

    SimulatedKubeVirt(KubernetesClient client, Path sandboxes, List<Fault> faults, int sshPort,
            Optional<GuestImage> qemuImage) {
        this.sshPort = sshPort;
        this.qemuImage = qemuImage;
        this.client = client;
        this.sandboxes = sandboxes;
        this.faults = List.copyOf(faults);
        this.disks = new SandboxDisks(sandboxes);
    }

    void start() {
        instances = client.genericKubernetesResources(KubeVirt.VIRTUAL_MACHINE_INSTANCE).inAnyNamespace().inform();
        informer = client.genericKubernetesResources(KubeVirt.VIRTUAL_MACHINE).inAnyNamespace()
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(GenericKubernetesResource vm) {
                        String ns = vm.getMetadata().getNamespace();
                        String name = vm.getMetadata().getName();
                        TraceReplay recorded = replay;
                        if (recorded != null) {
                            // a recorded run's timeline instead of the simulation's, until its guest runs
                            recorded.play(client, vm, (n, v) -> steps.execute(() -> step(n, v,
                                    () -> startInstance(n, v))));
                            return;
                        }
                        steps.execute(() -> step(ns, name, () -> provisionRootDisk(ns, name)));
                    }

                    @Override
                    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                        // status updates are this simulator's own; a changed runStrategy stops or starts the VM
                        Object was = spec(before).get("runStrategy");
                        Object now = spec(after).get("runStrategy");
                        if (java.util.Objects.equals(was, now)) {
                            return;
                        }
                        String ns = after.getMetadata().getNamespace();
                        String name = after.getMetadata().getName();
                        if ("Halted".equals(now)) {
                            steps.execute(() -> step(ns, name, () -> stopInstance(ns, name)));
                        } else if ("Always".equals(now)) {
                            steps.execute(() -> step(ns, name, () -> startInstance(ns, name)));
                        }
                    }

                    @Override
                    public void onDelete(GenericKubernetesResource vm, boolean finalStateUnknown) {
                        String ns = vm.getMetadata().getNamespace();
                        String name = vm.getMetadata().getName();
                        steps.execute(() -> step(ns, name, () -> collectGarbage(ns, name, vm.getMetadata().getUid())));
                    }
                });
    }

    /** A recorded run to play back for the VMs created from now on, instead of simulating them. */
    private volatile TraceReplay replay;

    void replay(TraceReplay trace) {
        this.replay = trace;
    }

    /** Where the running VMI's sshd listens. */
    Optional<java.net.InetSocketAddress> sshd(String namespace, String vmi) {
        return Optional.ofNullable(guests.get(namespace + "/" + vmi)).map(EmbeddedGuest::address);
    }

    /** The serial console of the guest behind a virt-launcher pod, as its guest-console-log container prints it. */
    String console(String namespace, String pod) {
        String vmi = launcherPods.get(namespace + "/" + pod);
        EmbeddedGuest guest = vmi == null ? null : guests.get(namespace + "/" + vmi);
        return guest == null ? "" : guest.console();
    }

    /**
     * What virt-api does for a VMI portforward: 404 when the VMI does not exist, 409 while it is paused, 400 while
     * it reports no network interface (not running yet), else the dial to its first interface's address — the
     * sandbox's sshd, or a port where nothing listens yet.
     */
    PortForwardTarget portForward(String namespace, String name, int port) {
        GenericKubernetesResource vmi = instances == null ? null : instances.getStore().getByKey(namespace + "/" + name);
        if (vmi == null) {
            return PortForwardTarget.refuse(404, "NotFound", "virtualmachineinstances.kubevirt.io \"" + name
                    + "\" not found");
        }
        Map<String, Object> status = map(vmi.getAdditionalProperties().get("status"));
        boolean paused = list(status.get("conditions")).stream().anyMatch(c -> "Paused".equals(c.get("type"))
                && "True".equals(c.get("status")));
        if (paused) {
            return PortForwardTarget.refuse(409, "Conflict", "Operation cannot be fulfilled on "
                    + "virtualmachineinstance.kubevirt.io \"" + name + "\": VMI is paused");
        }
        List<Map<String, Object>> interfaces = list(status.get("interfaces"));
        if (interfaces.isEmpty() || interfaces.get(0).get("ipAddress") == null) {
            return PortForwardTarget.refuse(400, "BadRequest", "no network interfaces are present");
        }
        // the guest's port answers once its sshd runs; until then virt-api's dial is refused. The sandbox's own
        // address is dialled, never the bare interface address, which another process on this machine may hold
        java.util.Optional<java.net.InetSocketAddress> sshd = port == sshPort ? sshd(namespace, name)
                : java.util.Optional.empty();
        if (sshd.isEmpty()) {
            return PortForwardTarget.refuse(500, "InternalError", "Internal error occurred: dialing VM: dial tcp "
                    + interfaces.get(0).get("ipAddress") + ":" + port + ": connect: connection refused");
        }
        return PortForwardTarget.dial(sshd.get());
    }

    /** Where the sshd of the VMI behind a virt-launcher pod listens. */
    Optional<java.net.InetSocketAddress> sshdBehindPod(String namespace, String pod) {
        return Optional.ofNullable(launcherPods.get(namespace + "/" + pod)).flatMap(vmi -> sshd(namespace, vmi));
    }

    private void step(String ns, String name, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("Simulated KubeVirt failed a step for VM {}/{}: {}", ns, name, e.toString());
        }
    }

    private void later(String ns, String name, Runnable action) {
        steps.schedule(() -> step(ns, name, action), STEP_MS, TimeUnit.MILLISECONDS);
    }

    // --- phases -------------------------------------------------------------------------------------------

    private void provisionRootDisk(String ns, String name) {
        GenericKubernetesResource vm = vm(ns, name);
        if (vm == null) {
            return;
        }
        vmStatus(ns, name, "Provisioning", false, null);
        for (Map<String, Object> template : list(spec(vm).get("dataVolumeTemplates"))) {
            Map<String, Object> meta = map(template.get("metadata"));
            String dv = String.valueOf(meta.get("name"));
            createDataVolume(vm, template);
            StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "CloneScheduled", "progress", "N/A"));
        }
        later(ns, name, () -> cloneRootDisk(ns, name));
    }

    private void cloneRootDisk(String ns, String name) {
        GenericKubernetesResource vm = vm(ns, name);
        if (vm == null) {
            return;
        }
        for (Map<String, Object> template : list(spec(vm).get("dataVolumeTemplates"))) {
            Map<String, Object> meta = map(template.get("metadata"));
            String dv = String.valueOf(meta.get("name"));
            if (faults.contains(Fault.DATA_VOLUME_FAILED)) {
                StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "Failed", "progress", "N/A",
                        "conditions", List.of(condition("Running", "False", "Error",
                                "Unable to clone: source DataSource PVC is not readable"))));
                vmStatus(ns, name, "DataVolumeError", false, null);
                StatusWriter.event(client, ns, "DataVolume", dv, "Error", "Unable to clone: source DataSource PVC is not readable");
                return;
            }
            if (faults.contains(Fault.DATA_VOLUME_ERROR_TRANSIENT) && delayed.add(ns + "/" + name + "/dv")) {
                // CDI restarts a failed clone pod; KubeVirt shows DataVolumeError meanwhile
                StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "CloneInProgress", "progress", "N/A",
                        "restartCount", 1, "conditions", List.of(condition("Running", "False", "Error",
                                "clone pod restarted (1 of 3 retries)"))));
                vmStatus(ns, name, "DataVolumeError", false, null);
                steps.schedule(() -> step(ns, name, () -> cloneRootDisk(ns, name)), 1500, TimeUnit.MILLISECONDS);
                return;
            }
            if (faults.contains(Fault.CLONE_PROGRESS_NA) && delayed.add(ns + "/" + name + "/progress")) {
                // CSI, snapshot and populator clones report no percentage while they run
                StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "CloneInProgress", "progress", "N/A"));
                steps.schedule(() -> step(ns, name, () -> cloneRootDisk(ns, name)), 6, TimeUnit.SECONDS);
                return;
            }
            StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "CloneInProgress", "progress", "45.00%"));
            if (faults.contains(Fault.CLONE_STALLS)) {
                return;
            }
            if (qemuImage.isPresent()) {
                // what the clone leaves behind: a disk with the source's content, here a copy-on-write overlay
                Object size = map(map(map(template.get("spec")).get("storage")).get("resources")).get("requests");
                Object storage = map(size).get("storage");
                QemuGuest.cloneRootDisk(qemuImage.get(), disks(ns, name).resolve(dv + ".qcow2"), storage == null ? 0
                        : Quantity.getAmountInBytes(new Quantity(String.valueOf(storage))).longValueExact());
            }
            // CDI gives the PVC of a DataVolume the DataVolume's labels
            // the storage API: CDI fills access and volume modes in from the class's StorageProfile
            Map<String, Object> recommended = claimProperties(String.valueOf(map(map(template.get("spec"))
                    .get("storage")).getOrDefault("storageClassName", EmbeddedCluster.STORAGE_CLASS)));
            client.persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder()
                    .withMetadata(owned(vm, dv, stringMap(meta.get("labels"))))
                    .withNewSpec().withAccessModes(strings(recommended.get("accessModes"), "ReadWriteOnce"))
                    .withVolumeMode(String.valueOf(recommended.getOrDefault("volumeMode", "Filesystem")))
                    .withNewResources()
                    .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec()
                    .withNewStatus().withPhase("Bound").endStatus().build()).create();
        }
        later(ns, name, () -> startInstance(ns, name));
    }

    private void startInstance(String ns, String name) {
        GenericKubernetesResource vm = vm(ns, name);
        if (vm == null) {
            return;
        }
        for (Map<String, Object> template : list(spec(vm).get("dataVolumeTemplates"))) {
            Map<String, Object> meta = map(template.get("metadata"));
            String dv = String.valueOf(meta.get("name"));
            if (KubeVirt.in(client, KubeVirt.DATA_VOLUME, ns).withName(dv).get() == null) {
                // a template renamed by a restore: virt-controller creates its DataVolume, which CDI finds populated
                createDataVolume(vm, template);
            }
            StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, dv, Map.of("phase", "Succeeded", "progress", "100.0%"));
        }
        if (faults.contains(Fault.FAILURE_CONDITION)) {
            // the VMI cannot be created: virt-controller records the sync error as the VM's Failure condition
            vmStatus(ns, name, "Starting", false, condition("Failure", "True", "FailedCreate", "failure while "
                    + "starting VMI: admission webhook \"virtualmachineinstances-create-validator.kubevirt.io\" denied "
                    + "the request: spec.domain.devices.disks[1].serial is not unique"));
            StatusWriter.event(client, ns, "VirtualMachine", name, "FailedCreate", "Error creating VirtualMachineInstance");
            return;
        }
        if (faults.contains(Fault.FAILURE_CONDITION_TRANSIENT) && delayed.add(ns + "/" + name + "/failure")) {
            // one sync error, recorded as the Failure condition; the next successful sync clears it (vm.go)
            vmStatus(ns, name, "Starting", false, condition("Failure", "True", "FailedCreate", "failure while "
                    + "starting VMI: Operation cannot be fulfilled on virtualmachineinstances.kubevirt.io \"" + name
                    + "\": the object has been modified; please apply your changes to the latest version and try "
                    + "again"));
            steps.schedule(() -> step(ns, name, () -> startInstance(ns, name)), 1500, TimeUnit.MILLISECONDS);
            return;
        }
        Map<String, Object> template = map(spec(vm).get("template"));
        if (KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).get() == null) {
            GenericKubernetesResource vmi = new GenericKubernetesResource();
            vmi.setApiVersion("kubevirt.io/v1");
            vmi.setKind("VirtualMachineInstance");
            vmi.setMetadata(owned(vm, name, stringMap(map(template.get("metadata")).get("labels"))));
            vmi.setAdditionalProperty("spec", Serialization.clone(template.get("spec")));
            KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).resource(vmi).create();
        }
        String missing = faults.contains(Fault.PVC_LATE) && delayed.add(ns + "/" + name + "/pvc")
                ? dataClaim(vm) : missingClaim(ns, vm);
        if (missing != null) {
            // virt-controller cannot render the launcher pod: VMI Synchronized=False FailedPvcNotFound
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Pending", "conditions",
                    List.of(condition("Synchronized", "False", "FailedPvcNotFound", "PVC " + ns + "/" + missing
                            + " does not exist, waiting for it to appear"))));
            vmStatus(ns, name, "ErrorPvcNotFound", false, null);
            steps.schedule(() -> step(ns, name, () -> startInstance(ns, name)),
                    faults.contains(Fault.PVC_LATE) ? 1500 : 200, TimeUnit.MILLISECONDS);
            return;
        }
        vmStatus(ns, name, "Starting", false, null);
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Scheduling"));
        String unprovisionable = unprovisionableClaim(ns, vm);
        if (unprovisionable != null) {
            // the pod is the claim's first consumer: the driver now tries, fails, and the pod waits for the binding
            PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(ns).withName(unprovisionable).get();
            StatusWriter.event(client, ns, "PersistentVolumeClaim", unprovisionable, "ProvisioningFailed", "failed to "
                    + "provision volume with StorageClass \"" + EmbeddedCluster.STORAGE_CLASS + "\": rpc error: code = "
                    + "Internal desc = failed to create volume from snapshot " + pvc.getMetadata().getAnnotations()
                    .get(SimulatedOperations.WFFC_FAILS));
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Scheduling",
                    "conditions", List.of(condition("PodScheduled", "False", "Unschedulable", "0/3 nodes are "
                            + "available: 3 waiting for volume binding: PersistentVolumeClaim " + unprovisionable
                            + " is not bound."))));
            vmStatus(ns, name, "ErrorUnschedulable", false, null);
            return;
        }
        if (faults.contains(Fault.UNSCHEDULABLE) || faults.contains(Fault.UNSCHEDULABLE_TRANSIENT)
                && delayed.add(ns + "/" + name + "/schedule")) {
            String why = faults.contains(Fault.UNSCHEDULABLE) ? "0/3 nodes are available: 3 Insufficient memory."
                    : "0/3 nodes are available: 3 pod has unbound immediate PersistentVolumeClaims.";
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Scheduling",
                    "conditions", List.of(condition("PodScheduled", "False", "Unschedulable", why))));
            vmStatus(ns, name, "ErrorUnschedulable", false, null);
            StatusWriter.event(client, ns, "VirtualMachineInstance", name, "FailedScheduling", why);
            if (faults.contains(Fault.UNSCHEDULABLE_TRANSIENT) && !faults.contains(Fault.UNSCHEDULABLE)) {
                // the provisioner binds the claim and the scheduler places the pod
                steps.schedule(() -> step(ns, name, () -> startInstance(ns, name)), 1500, TimeUnit.MILLISECONDS);
            }
            return;
        }
        if (faults.contains(Fault.CRASH_LOOP)) {
            vmStatus(ns, name, "CrashLoopBackOff", false, condition("Ready", "False", "CrashLoopBackOff",
                    "virt-launcher pod restarted 5 times: back-off 2m40s restarting failed container compute"));
            return;
        }
        if (faults.contains(Fault.VMI_FAILED)) {
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Failed", "conditions",
                    List.of(condition("Ready", "False", "GuestFailed", "qemu exited: could not open disk image"))));
            return;
        }
        later(ns, name, () -> boot(ns, name));
    }

    private void boot(String ns, String name) {
        GenericKubernetesResource vm = vm(ns, name);
        if (vm == null) {
            return;
        }
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Scheduled"));
        String pod = launcherPod(ns, name);
        String ip = nextAddress();
        String node = "embedded-worker-" + (addresses.get() % 3);
        Map<String, Object> migratable = liveMigratable(ns, vm);
        Runnable running = () -> {
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Running", "nodeName", node,
                    "interfaces", List.of(Map.of("name", "default", "ipAddress", ip)),
                    "conditions", List.of(condition("Ready", "True", "", ""), migratable)));
            vmStatus(ns, name, "Running", true, condition("Ready", "True", "", ""));
        };
        if (qemuImage.isPresent()) {
            bootQemu(ns, name, ip, pod, running);
            return;
        }
        Runnable sshUp = () -> {
            Runnable onMeasure = faults.contains(Fault.VMI_RECREATED)
                    ? () -> steps.schedule(() -> step(ns, name, () -> recreateVmi(ns, name)), 200, TimeUnit.MILLISECONDS)
                    : () -> { };
            String claim = dataClaim(vm);
            long bytes = claimBytes(ns, claim);
            SandboxGuest guest = SandboxGuest.start(name, sandboxes.resolve(ns).resolve(name), userData(ns, vm),
                    faults, ip, sshPort, onMeasure, root -> {
                        if (claim != null) {
                            disks.attach(ns, claim, root, bytes);
                        }
                    });
            EmbeddedGuest previous = guests.put(ns + "/" + name, guest);
            if (previous != null) {
                previous.close();
            }
            LOG.info("Embedded VM {}/{} running ({}): {}", ns, name, pod, guest);
        };
        if (faults.contains(Fault.SSH_LATE)) {
            running.run();
            steps.schedule(() -> step(ns, name, sshUp), 3, TimeUnit.SECONDS);
        } else {
            sshUp.run();
            running.run();
        }
    }

    /**
     * virt-launcher's part for a QEMU guest: the domain from the VMI's spec (CPUs, memory, disks in its order
     * with their serials and I/O threads, the cloud-init NoCloud disk), then Running as soon as QEMU runs — the
     * guest boots after that, and SSH answers when its sshd does. The VMI's phase follows QEMU: an exit after
     * the guest powered off is Succeeded, any other exit Failed.
     */
    private void bootQemu(String ns, String name, String ip, String pod, Runnable running) {
        GenericKubernetesResource vmi = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).get();
        GenericKubernetesResource vm = vm(ns, name);
        if (vmi == null || vm == null) {
            return;
        }
        Map<String, Object> spec = spec(vmi);
        Map<String, Object> domain = map(spec.get("domain"));
        int cpus = Integer.parseInt(String.valueOf(map(domain.get("cpu")).getOrDefault("cores", 1)));
        long memory = Quantity.getAmountInBytes(new Quantity(String.valueOf(map(domain.get("memory")).get("guest"))))
                .longValueExact();
        Map<String, Map<String, Object>> volumes = new LinkedHashMap<>();
        list(spec.get("volumes")).forEach(v -> volumes.put(String.valueOf(v.get("name")), v));
        Path disks = disks(ns, name);
        List<QemuGuest.Disk> attached = new ArrayList<>();
        for (Map<String, Object> disk : list(map(domain.get("devices")).get("disks"))) {
            String diskName = String.valueOf(disk.get("name"));
            Map<String, Object> volume = volumes.getOrDefault(diskName, Map.of());
            String serial = disk.get("serial") == null ? null : String.valueOf(disk.get("serial"));
            boolean ioThread = Boolean.TRUE.equals(disk.get("dedicatedIOThread"));
            if (volume.get("dataVolume") != null) {
                String dv = String.valueOf(map(volume.get("dataVolume")).get("name"));
                attached.add(new QemuGuest.Disk(diskName, serial, ioThread, disks.resolve(dv + ".qcow2"), "qcow2",
                        false, false));
            } else if (volume.get("persistentVolumeClaim") != null) {
                String claim = String.valueOf(map(volume.get("persistentVolumeClaim")).get("claimName"));
                io.fabric8.kubernetes.api.model.PersistentVolumeClaim pvc =
                        client.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
                long bytes = Quantity.getAmountInBytes(pvc.getSpec().getResources().getRequests().get("storage"))
                        .longValueExact();
                boolean block = "Block".equals(pvc.getSpec().getVolumeMode());
                // fault data-disk-missing: the disk is not attached, as when a hotplug or attachment failed
                Path file = faults.contains(Fault.DATA_DISK_MISSING) ? null
                        : QemuGuest.claimFile(disks.resolve(claim + ".raw"), bytes);
                attached.add(new QemuGuest.Disk(diskName, serial, ioThread, file, "raw", block, false));
            } else if (volume.get("cloudInitNoCloud") != null) {
                // KubeVirt's instance-id is the VMI's firmware UUID, derived from the VM's name: stable across
                // restarts, so cloud-init's per-instance modules run once per VM
                String uuid = java.util.UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
                attached.add(new QemuGuest.Disk(diskName, serial, ioThread, QemuGuest.noCloudIso(disks, userData(ns, vm),
                        uuid, name), "raw", false, true));
            }
        }
        QemuGuest.Domain launched = new QemuGuest.Domain(name, disks, qemuImage.get(), cpus, memory, attached, 22);
        java.util.concurrent.atomic.AtomicReference<QemuGuest> self = new java.util.concurrent.atomic.AtomicReference<>();
        QemuGuest guest = QemuGuest.start(launched, pod, new java.net.InetSocketAddress(ip, sshPort),
                qemuExit(ns, name, self));
        self.set(guest);
        EmbeddedGuest previous = guests.put(ns + "/" + name, guest);
        if (previous != null) {
            previous.close();
        }
        running.run();
        LOG.info("Embedded VM {}/{} running ({}): {}", ns, name, pod, guest);
    }

    /**
     * What virt-controller and virt-handler do when a VM's runStrategy becomes Halted: the guest powers off (its data
     * PVC keeps what was written), the launcher pod and the VMI go, the VM reads Stopped.
     */
    private void stopInstance(String ns, String name) {
        GenericKubernetesResource vm = vm(ns, name);
        EmbeddedGuest guest = guests.remove(ns + "/" + name);
        String claim = vm == null ? null : dataClaim(vm);
        if (guest instanceof SandboxGuest sandbox && claim != null) {
            sandbox.powerOff(disks.claim(ns, claim));
        } else if (guest != null) {
            guest.close();
        }
        launcherPods.values().removeIf(vmi -> vmi.equals(name));
        client.pods().inNamespace(ns).withLabel("vm.kubevirt.io/name", name).delete();
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).delete();
        vmStatus(ns, name, "Stopped", false, null);
        LOG.info("Embedded VM {}/{} stopped (runStrategy Halted)", ns, name);
    }

    /** The running sandbox of a VMI, if it runs as one. */
    Optional<SandboxGuest> sandbox(String ns, String vmi) {
        return guests.get(ns + "/" + vmi) instanceof SandboxGuest sandbox ? Optional.of(sandbox) : Optional.empty();
    }

    /** The running sandbox that has {@code claim} attached as its data disk, if any. */
    Optional<SandboxGuest> sandboxWithClaim(String ns, String claim) {
        for (GenericKubernetesResource vm : KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns).list().getItems()) {
            if (claim.equals(dataClaim(vm))) {
                Optional<SandboxGuest> sandbox = sandbox(ns, vm.getMetadata().getName());
                if (sandbox.isPresent()) {
                    return sandbox;
                }
            }
        }
        return Optional.empty();
    }

    /** What virt-handler reports when a VMI's QEMU ends: Succeeded after the guest powered off, else Failed. */
    private java.util.function.IntConsumer qemuExit(String ns, String name,
            java.util.concurrent.atomic.AtomicReference<QemuGuest> self) {
        return code -> steps.execute(() -> step(ns, name, () -> {
            guests.remove(ns + "/" + name, self.get());
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, code == 0
                    ? Map.of("phase", "Succeeded") : Map.of("phase", "Failed", "conditions", List.of(condition(
                            "Ready", "False", "GuestFailed", "qemu exited with code " + code))));
        }));
    }

    /** The running QEMU guest of a VMI, if it runs as one. */
    Optional<QemuGuest> qemu(String ns, String vmi) {
        return guests.get(ns + "/" + vmi) instanceof QemuGuest qemu ? Optional.of(qemu) : Optional.empty();
    }

    /**
     * The target virt-launcher pod's QEMU for a live migration of {@code vmi}: the same domain, waiting with
     * {@code -incoming}, at a new address (on the pod network a migrated VMI gets the target pod's IP).
     */
    QemuGuest migrationTarget(String ns, String vmi, QemuGuest source, String pod) {
        java.util.concurrent.atomic.AtomicReference<QemuGuest> self = new java.util.concurrent.atomic.AtomicReference<>();
        QemuGuest target = source.migrationTarget(pod, new java.net.InetSocketAddress(nextAddress(), sshPort),
                qemuExit(ns, vmi, self));
        self.set(target);
        return target;
    }

    /**
     * The end of a live migration: the VMI's guest is the target's, its interface the target's address; new
     * portforward connections reach it there. Then the source's QEMU ends, and the connections through it.
     */
    void migrated(String ns, String vmi, QemuGuest source, QemuGuest target) {
        guests.replace(ns + "/" + vmi, source, target);
        source.close();
        GenericKubernetesResource instance = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(vmi)
                .get();
        if (instance != null) {
            Map<String, Object> status = new LinkedHashMap<>(map(instance.getAdditionalProperties().get("status")));
            status.put("interfaces", List.of(Map.of("name", "default", "ipAddress",
                    target.address().getHostString())));
            StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmi, status);
        }
    }

    /**
     * The disk image a QEMU guest of this namespace has for {@code claim} (a PVC's raw file, or a DataVolume's
     * qcow2 root disk), in the folder of the VM whose volumes name it; empty when no VM names it.
     */
    Optional<Path> qemuImage(String ns, String claim) {
        for (GenericKubernetesResource vm : KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns).list().getItems()) {
            for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
                if (claim.equals(map(volume.get("persistentVolumeClaim")).get("claimName"))) {
                    return Optional.of(disks(ns, vm.getMetadata().getName()).resolve(claim + ".raw"));
                }
                if (claim.equals(map(volume.get("dataVolume")).get("name"))) {
                    return Optional.of(disks(ns, vm.getMetadata().getName()).resolve(claim + ".qcow2"));
                }
            }
        }
        return Optional.empty();
    }

    /** The folder of a VM's disks, which its restored volumes join. */
    Path vmFolder(String ns, String vm) {
        return disks(ns, vm);
    }

    /** The running QEMU guest that has disk image {@code image} attached, if any. */
    Optional<QemuGuest> qemuWith(Path image) {
        return guests.values().stream().filter(g -> g instanceof QemuGuest).map(g -> (QemuGuest) g)
                .filter(g -> g.attaches(image)).findFirst();
    }

    private String nextAddress() {
        // every guest has an address of its own on the loopback network, as VMIs have on the pod network
        int n = addresses.incrementAndGet();
        return "127.0." + (1 + n / 250) + "." + (1 + n % 250);
    }

    /** Where sandbox guests' data PVCs keep their content while detached, and their snapshots. */
    SandboxDisks disks() {
        return disks;
    }

    /** Whether the guest runs as a QEMU process (the operations it cannot act out say so). */
    boolean qemuGuests() {
        return qemuImage.isPresent();
    }

    private long claimBytes(String ns, String claim) {
        io.fabric8.kubernetes.api.model.PersistentVolumeClaim pvc = claim == null ? null
                : client.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
        return pvc == null ? 0 : Quantity.getAmountInBytes(pvc.getSpec().getResources().getRequests().get("storage"))
                .longValueExact();
    }

    /**
     * virt-controller's LiveMigratable condition: False with reason DisksNotLiveMigratable when a PVC of the VM is not
     * ReadWriteMany.
     */
    private Map<String, Object> liveMigratable(String ns, GenericKubernetesResource vm) {
        for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
            Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
            if (claim == null) {
                claim = map(volume.get("dataVolume")).get("name");
            }
            if (claim == null) {
                continue;
            }
            io.fabric8.kubernetes.api.model.PersistentVolumeClaim pvc =
                    client.persistentVolumeClaims().inNamespace(ns).withName(claim.toString()).get();
            if (pvc == null || pvc.getSpec().getAccessModes() == null
                    || !pvc.getSpec().getAccessModes().contains("ReadWriteMany")) {
                return condition("LiveMigratable", "False", "DisksNotLiveMigratable", "cannot migrate VMI: PVC "
                        + claim + " is not shared, live migration requires that all PVCs must be shared (using "
                        + "ReadWriteMany access mode)");
            }
        }
        return condition("LiveMigratable", "True", "", "");
    }

    /** Where a VM's disks (root DataVolume, data PVC, cloud-init ISO) and its QEMU's files live. */
    private Path disks(String ns, String name) {
        try {
            return java.nio.file.Files.createDirectories(sandboxes.resolve(ns).resolve(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Cannot create the folder of embedded VM " + ns + "/" + name, e);
        }
    }

    /** The VMI fails and KubeVirt starts a new one (new UID) for the same VM, as after a node or qemu crash. */
    private void recreateVmi(String ns, String name) {
        GenericKubernetesResource old = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).get();
        if (old == null) {
            return;
        }
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, Map.of("phase", "Failed"));
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).delete();
        GenericKubernetesResource fresh = new GenericKubernetesResource();
        fresh.setApiVersion(old.getApiVersion());
        fresh.setKind(old.getKind());
        fresh.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns)
                .withLabels(old.getMetadata().getLabels()).withOwnerReferences(old.getMetadata().getOwnerReferences())
                .build());
        fresh.setAdditionalProperty("spec", old.getAdditionalProperties().get("spec"));
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).resource(fresh).create();
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, name, map(old.getAdditionalProperties().get("status")));
        LOG.info("Embedded VMI {}/{} failed and was recreated (fault vmi-recreated)", ns, name);
    }

    private String launcherPod(String ns, String vmi) {
        GenericKubernetesResource instance = KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(vmi).get();
        String pod = "virt-launcher-" + vmi + "-" + Long.toString(System.nanoTime() % 60466176, 36);
        client.pods().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName(pod).withNamespace(ns)
                .addToLabels(instance.getMetadata().getLabels() == null ? Map.of() : instance.getMetadata().getLabels())
                .addToLabels("kubevirt.io", "virt-launcher").addToLabels("vm.kubevirt.io/name", vmi)
                .addToLabels("kubevirt.io/created-by", instance.getMetadata().getUid())
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("kubevirt.io/v1")
                        .withKind("VirtualMachineInstance").withName(vmi).withUid(instance.getMetadata().getUid())
                        .withController(true).build())
                .endMetadata()
                .withNewSpec().addNewContainer().withName("compute").withImage("virt-launcher").endContainer()
                .withVolumes(claimVolumes(instance)).endSpec()
                .withNewStatus().withPhase("Running").endStatus().build()).create();
        launcherPods.put(ns + "/" + pod, vmi);
        return pod;
    }

    /**
     * The launcher pod mounts each PVC of the VMI (a DataVolume's by its name), as virt-controller renders it
     * (pkg/virt-controller/services/rendervolumes.go): what CDI looks at to tell whether a clone's source is in use.
     */
    private static List<io.fabric8.kubernetes.api.model.Volume> claimVolumes(GenericKubernetesResource vmi) {
        List<io.fabric8.kubernetes.api.model.Volume> out = new ArrayList<>();
        for (Map<String, Object> volume : list(map(vmi.getAdditionalProperties().get("spec")).get("volumes"))) {
            Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
            if (claim == null) {
                claim = map(volume.get("dataVolume")).get("name");
            }
            if (claim != null) {
                out.add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName(String.valueOf(volume.get("name")))
                        .withNewPersistentVolumeClaim().withClaimName(claim.toString()).endPersistentVolumeClaim()
                        .build());
            }
        }
        return out;
    }

    private void collectGarbage(String ns, String name, String uid) {
        EmbeddedGuest guest = guests.remove(ns + "/" + name);
        if (guest != null) {
            guest.close();
        }
        if (qemuImage.isPresent()) {
            deleteTree(sandboxes.resolve(ns).resolve(name));
        }
        launcherPods.values().removeIf(vmi -> vmi.equals(name));
        try {
            client.pods().inNamespace(ns).withLabel("vm.kubevirt.io/name", name).delete();
            KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns).withName(name).delete();
            for (GenericKubernetesResource dv : KubeVirt.in(client, KubeVirt.DATA_VOLUME, ns).list().getItems()) {
                if (ownedBy(dv.getMetadata(), uid)) {
                    KubeVirt.in(client, KubeVirt.DATA_VOLUME, ns).withName(dv.getMetadata().getName()).delete();
                }
            }
            client.persistentVolumeClaims().inNamespace(ns).list().getItems().stream()
                    .filter(pvc -> ownedBy(pvc.getMetadata(), uid))
                    .forEach(pvc -> client.persistentVolumeClaims().inNamespace(ns).resource(pvc).delete());
        } catch (KubernetesClientException e) {
            LOG.warn("Simulated garbage collection of {}/{} failed: {}", ns, name, e.getMessage());
        }
    }

    /** The first claim property set of a StorageClass's StorageProfile, as CDI applies it; empty without one. */
    private Map<String, Object> claimProperties(String storageClass) {
        GenericKubernetesResource profile = client.genericKubernetesResources(KubeVirt.STORAGE_PROFILE)
                .withName(storageClass).get();
        if (profile == null) {
            return Map.of();
        }
        Map<String, Object> status = map(profile.getAdditionalProperties().get("status"));
        List<Map<String, Object>> sets = list(status.get("claimPropertySets"));
        return sets.isEmpty() ? Map.of() : sets.get(0);
    }

    private static List<String> strings(Object value, String fallback) {
        List<String> out = new ArrayList<>();
        if (value instanceof List<?> l) {
            l.forEach(v -> out.add(String.valueOf(v)));
        }
        return out.isEmpty() ? List.of(fallback) : out;
    }

    /** virt-controller's DataVolume for one of the VM's templates, owned by the VM. */
    private void createDataVolume(GenericKubernetesResource vm, Map<String, Object> template) {
        Map<String, Object> meta = map(template.get("metadata"));
        GenericKubernetesResource dataVolume = new GenericKubernetesResource();
        dataVolume.setApiVersion("cdi.kubevirt.io/v1beta1");
        dataVolume.setKind("DataVolume");
        dataVolume.setMetadata(owned(vm, String.valueOf(meta.get("name")), stringMap(meta.get("labels"))));
        dataVolume.setAdditionalProperty("spec", Serialization.clone(template.get("spec")));
        KubeVirt.in(client, KubeVirt.DATA_VOLUME, vm.getMetadata().getNamespace()).resource(dataVolume).create();
    }

    // --- helpers ------------------------------------------------------------------------------------------

    private GenericKubernetesResource vm(String ns, String name) {
        return KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns).withName(name).get();
    }

    static String dataClaim(GenericKubernetesResource vm) {
        for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
            Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
            if (claim != null) {
                return claim.toString();
            }
        }
        return null;
    }

    /** A claim of the VM whose provisioning will fail once its first consumer is scheduled, or null. */
    private String unprovisionableClaim(String ns, GenericKubernetesResource vm) {
        for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
            Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
            if (claim == null) {
                claim = map(volume.get("dataVolume")).get("name");
            }
            PersistentVolumeClaim pvc = claim == null ? null : client.persistentVolumeClaims().inNamespace(ns)
                    .withName(claim.toString()).get();
            if (pvc != null && pvc.getMetadata().getAnnotations() != null
                    && pvc.getMetadata().getAnnotations().containsKey(SimulatedOperations.WFFC_FAILS)) {
                return claim.toString();
            }
        }
        return null;
    }

    private String missingClaim(String ns, GenericKubernetesResource vm) {
        for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
            Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
            if (claim != null && client.persistentVolumeClaims().inNamespace(ns).withName(claim.toString()).get() == null) {
                return claim.toString();
            }
        }
        return null;
    }

    private String userData(String ns, GenericKubernetesResource vm) {
        for (Map<String, Object> volume : list(map(map(spec(vm).get("template")).get("spec")).get("volumes"))) {
            Object secretName = map(map(volume.get("cloudInitNoCloud")).get("secretRef")).get("name");
            if (secretName != null) {
                Secret secret = client.secrets().inNamespace(ns).withName(secretName.toString()).get();
                if (secret == null || secret.getData() == null || !secret.getData().containsKey("userdata")) {
                    throw new IllegalStateException("cloud-init Secret " + secretName + " has no userdata");
                }
                return new String(Base64.getDecoder().decode(secret.getData().get("userdata")), StandardCharsets.UTF_8);
            }
        }
        throw new IllegalStateException("VM " + vm.getMetadata().getName() + " has no cloudInitNoCloud secretRef");
    }

    private void vmStatus(String ns, String name, String printable, boolean ready, Map<String, Object> condition) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("printableStatus", printable);
        status.put("ready", ready);
        status.put("created", !printable.equals("Provisioning"));
        if (condition != null) {
            status.put("conditions", List.of(condition));
        }
        // the snapshot and restore controllers own these fields of the VM's status; the VM controller keeps them
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE, ns, name, status, "restoreInProgress",
                "snapshotInProgress");
    }




    private static ObjectMeta owned(GenericKubernetesResource owner, String name, Map<String, String> labels) {
        OwnerReference ref = new OwnerReferenceBuilder().withApiVersion("kubevirt.io/v1").withKind("VirtualMachine")
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).build();
        return new ObjectMetaBuilder().withName(name).withNamespace(owner.getMetadata().getNamespace())
                .withLabels(new LinkedHashMap<>(labels)).withOwnerReferences(ref).build();
    }

    private static boolean ownedBy(ObjectMeta meta, String uid) {
        return meta.getOwnerReferences() != null
                && meta.getOwnerReferences().stream().anyMatch(r -> r.getUid() != null && r.getUid().equals(uid));
    }

    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // gone already, or it goes with mvn clean (it lives under target/)
        }
    }




    private static Map<String, String> stringMap(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        map(value).forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    @Override
    public void close() {
        TraceReplay recorded = replay;
        if (recorded != null) {
            recorded.close();
        }
        if (informer != null) {
            informer.close();
        }
        if (instances != null) {
            instances.close();
        }
        steps.shutdown();
        try {
            // garbage collection of the last deleted VMs may still be queued; let it finish
            if (!steps.awaitTermination(10, TimeUnit.SECONDS)) {
                steps.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        guests.values().forEach(EmbeddedGuest::close);
        guests.clear();
    }
}
