package dev.vmbench.cluster;

import static dev.vmbench.cluster.Untyped.status;
import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.map;
import static dev.vmbench.cluster.Untyped.list;

import dev.vmbench.fio.TimeSeries;
import dev.vmbench.guest.GuestAgent;
import dev.vmbench.guest.GuestStatus;
import dev.vmbench.template.Templates;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the storage capabilities VMs live by on the first VM of a group, through the same API a person would use:
 * a VirtualMachineSnapshot of the running VM, a VirtualMachineRestore of it (a file written before the snapshot must
 * read back identical), a DataVolume clone of the data PVC, an online expansion of the data PVC (until the guest sees
 * the new size) and a live migration while fio runs with 100 ms logs (the longest stall and p99 during against
 * before). Each check waits at most its deadline and says what it saw when it gives up.
 */
public final class CapabilityProbe {

    private static final Logger LOG = LoggerFactory.getLogger(CapabilityProbe.class);
    private static final String INTEGRITY_FILE = "vmbench-integrity.bin";
    private static final int INTEGRITY_MIB = 8;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long PROGRESS_EVERY = 30;
    private static final Duration LOG_INTERVAL = Duration.ofMillis(100);
    private static final long EXPANSION_BYTES = 1L << 30;

    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, String> labels;
    private final Templates templates;
    private final VmGroup group;
    private final GuestVm guest;
    private final long fileSizeBytes;
    private final Duration readyTimeout;
    /** The snapshot a restore restores, and the checksum of the file written before it. */
    private String snapshot;
    private String integrity;

    CapabilityProbe(KubernetesClient client, String namespace, Map<String, String> labels, Templates templates,
            VmGroup group, long fileSizeBytes, Duration readyTimeout) {
        this.client = client;
        this.namespace = namespace;
        this.labels = Map.copyOf(labels);
        this.templates = templates;
        this.group = group;
        this.guest = group.guests().get(0);
        this.fileSizeBytes = fileSizeBytes;
        this.readyTimeout = readyTimeout;
    }

    private KubeVirtFeatures features;

    /** KubeVirt's version, gates and served snapshot API, read on first use. */
    private synchronized KubeVirtFeatures features() {
        if (features == null) {
            features = KubeVirtFeatures.read(client, namespace);
        }
        return features;
    }

    /** The VM every check works on. */
    public String vm() {
        return guest.name();
    }

    /** The StorageClass and the data disk as the checks find them. */
    public StorageFacts facts() {
        String pool = group.spec().pool();
        StorageClass sc = client.storage().v1().storageClasses().withName(pool).get();
        if (sc == null) {
            throw new ProvisioningException("StorageClass [" + pool + "] is gone. Fix: run against a StorageClass that "
                    + "exists (-Dpool).");
        }
        PersistentVolumeClaim claim = dataClaim();
        return new StorageFacts(pool, sc.getProvisioner(), Optional.ofNullable(sc.getVolumeBindingMode())
                .orElse("Immediate"), Boolean.TRUE.equals(sc.getAllowVolumeExpansion()),
                snapshotClass(sc.getProvisioner()).orElse(""),
                Optional.ofNullable(claim.getSpec().getVolumeMode()).orElse("Filesystem"),
                Optional.ofNullable(claim.getSpec().getAccessModes()).orElse(List.of()));
    }

    // --- snapshot -------------------------------------------------------------------------------------------

    /** An online VirtualMachineSnapshot of the running VM, after a file of known content was written and synced. */
    public CapabilityCheck snapshot(Duration deadline) {
        Optional<String> off = features().snapshotsUnavailable();
        if (off.isPresent()) {
            return CapabilityCheck.unsupported(Capability.SNAPSHOT, off.get() + ", so KubeVirt cannot snapshot VMs. "
                    + "Fix: enable the gate in the KubeVirt resource, or upgrade KubeVirt");
        }
        StorageFacts facts = facts();
        if (facts.snapshotClass().isEmpty()) {
            return CapabilityCheck.unsupported(Capability.SNAPSHOT, "no VolumeSnapshotClass has driver ["
                    + facts.provisioner() + "] of StorageClass " + facts.storageClass() + ", so KubeVirt cannot "
                    + "snapshot its volumes. Fix: install the CSI driver's snapshotter and a VolumeSnapshotClass for it");
        }
        integrity = guest.agent().writeIntegrityFile(INTEGRITY_FILE, INTEGRITY_MIB);
        String name = "snap-" + vm();
        Map<String, Object> scope = scope(name);
        // KubeVirt fails the snapshot a minute after the harness stops waiting: the wait decides, and says why
        scope.put("failureDeadline", Math.max(1, deadline.toSeconds()) + 60 + "s");
        String manifest = templates.render("vm-snapshot.yaml.mustache", scope);
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put(name + ".snapshot.yaml", manifest);
        Instant created = Instant.now();
        create(KubeVirt.VM_SNAPSHOT, manifest);
        Polled<GenericKubernetesResource> done = poll("VirtualMachineSnapshot " + name + " ready", deadline,
                () -> get(KubeVirt.VM_SNAPSHOT, name), s -> s != null && ObservedState.of("VirtualMachineSnapshot",
                        s.getAdditionalProperties(), List.of()).verdict() != ObservedState.Verdict.WAITING);
        Duration took = Duration.between(created, Instant.now());
        GenericKubernetesResource last = get(KubeVirt.VM_SNAPSHOT, name);
        evidence.put(name + ".status.yaml", yaml(last));
        Map<String, String> details = new LinkedHashMap<>();
        Map<String, Object> status = status(last);
        Object contentName = status.get("virtualMachineSnapshotContentName");
        GenericKubernetesResource content = contentName == null ? null
                : get(KubeVirt.VM_SNAPSHOT_CONTENT, contentName.toString());
        if (content != null) {
            // what each VolumeSnapshot reported: the CSI driver's error, when one is not ready
            evidence.put(contentName + ".content.yaml", yaml(content));
        }
        details.put("indications", String.join(",", strings(status.get("indications"))));
        details.put("phase", String.valueOf(status.getOrDefault("phase", "")));
        if (done.timedOut() || !Boolean.TRUE.equals(status.get("readyToUse"))) {
            // a snapshot in progress locks its VM (KubeVirt's webhook refuses any spec change): let it go
            KubeVirt.in(client, KubeVirt.VM_SNAPSHOT, namespace).withName(name).delete();
            String locked = power().awaitNoSnapshot().map(s -> "; the VM is still locked by it (status."
                    + "snapshotInProgress " + s + ") " + seconds(readyTimeout) + " after it was deleted").orElse("");
            String why = done.timedOut() ? "was not ready to use after " + seconds(deadline) + " (phase "
                    + status.getOrDefault("phase", "unset") + conditions(status) + ")"
                    : "failed: " + error(status);
            return CapabilityCheck.failed(Capability.SNAPSHOT, took, "VirtualMachineSnapshot " + name + " of VM "
                    + vm() + " " + why + ". Fix: see the snapshot's conditions, its content's volumeSnapshotStatus and "
                    + "the VolumeSnapshots of its volumes (oc get vmsnapshot,vmsnapshotcontent,volumesnapshot -n "
                    + namespace + "); the CSI driver must take snapshots of volumes in use" + locked, details,
                    evidence);
        }
        snapshot = name;
        return CapabilityCheck.worked(Capability.SNAPSHOT, took, details, evidence);
    }

    // --- restore --------------------------------------------------------------------------------------------

    /**
     * Overwrites the file the snapshot holds, stops the VM, restores it from the snapshot, starts it and reads the
     * file back: the restore worked only if its checksum is the one written before the snapshot. A restore that
     * fails or outlasts its deadline is deleted, which lets KubeVirt start the VM again on its own disks, so the
     * checks after it still run.
     */
    public CapabilityCheck restore(Duration deadline) {
        if (snapshot == null) {
            return CapabilityCheck.unsupported(Capability.RESTORE, "there is no snapshot to restore (the snapshot "
                    + "check did not succeed)");
        }
        String changed = guest.agent().writeIntegrityFile(INTEGRITY_FILE, INTEGRITY_MIB);
        String name = "restore-" + vm();
        Map<String, Object> scope = scope(name);
        scope.put("snapshot", snapshot);
        String manifest = templates.render("vm-restore.yaml.mustache", scope);
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put(name + ".restore.yaml", manifest);
        Map<String, String> details = new LinkedHashMap<>();
        VmPower power = power();
        Optional<String> notStopped = power.stop();
        if (notStopped.isPresent()) {
            power.start("a stop that did not finish");
            return CapabilityCheck.failed(Capability.RESTORE, Duration.ZERO, notStopped.get() + ", so it cannot be "
                    + "restored. Fix: see the VM's events", details, evidence);
        }
        Instant created = Instant.now();
        create(KubeVirt.VM_RESTORE, manifest);
        Polled<GenericKubernetesResource> done = poll("VirtualMachineRestore " + name + " complete", deadline,
                () -> get(KubeVirt.VM_RESTORE, name), r -> r != null && (Boolean.TRUE.equals(status(r)
                        .get("complete")) || failure(status(r)).isPresent()));
        Duration took = Duration.between(created, Instant.now());
        GenericKubernetesResource last = get(KubeVirt.VM_RESTORE, name);
        evidence.put(name + ".status.yaml", yaml(last));
        if (done.timedOut() || !Boolean.TRUE.equals(status(last).get("complete"))) {
            String why = done.timedOut() ? "was not complete after " + seconds(deadline) + conditions(status(last))
                    + unboundClaims(status(last)) : "failed: " + failure(status(last)).orElse("");
            String released = release(name, power);
            return CapabilityCheck.failed(Capability.RESTORE, took, "VirtualMachineRestore " + name + " of VM "
                    + vm() + " from snapshot " + snapshot + " " + why + ". Fix: see the restore's conditions and "
                    + "the PVCs it creates from the VolumeSnapshots (oc get vmrestore,pvc -n " + namespace
                    + "); the CSI driver must create volumes from snapshots" + released, details, evidence);
        }
        Instant starting = Instant.now();
        Optional<String> refused = power.requestStart();
        if (refused.isPresent()) {
            return CapabilityCheck.failed(Capability.RESTORE, took, "VM " + vm() + " could not be started after "
                    + "VirtualMachineRestore " + name + " completed: " + refused.get() + ". Fix: see the VM's status "
                    + "(restoreInProgress) and the restore's events", details, evidence);
        }
        // on a WaitForFirstConsumer class the restore completes before its PVCs exist: a PVC the driver cannot
        // create from the snapshot shows only now, as the VM's pod waits for it
        if (poll("VMI of " + vm() + " running after the restore", readyTimeout, () -> power.running(), r -> r)
                .timedOut()) {
            return CapabilityCheck.failed(Capability.RESTORE, took, "VM " + vm() + " restored by " + name
                    + " did not run within " + seconds(readyTimeout) + " (vmbench.readyTimeout)"
                    + unboundClaims(status(get(KubeVirt.VM_RESTORE, name))) + ". Fix: the CSI driver must create "
                    + "volumes from snapshots (oc get pvc,events -n " + namespace + ")", details, evidence);
        }
        power.awaitGuest("its restore");
        details.put("vm-ready-after-restore", seconds(Duration.between(starting, Instant.now())));
        String read = guest.agent().integrityChecksum(INTEGRITY_FILE);
        details.put("restored-claim", dataClaim().getMetadata().getName());
        if (!read.equals(integrity)) {
            return CapabilityCheck.failed(Capability.RESTORE, took, "VM " + vm() + " restored from snapshot "
                    + snapshot + " lost data: " + INTEGRITY_FILE + " (" + INTEGRITY_MIB + " MiB, written and "
                    + "synced before the snapshot) reads back as [" + read + "], not [" + integrity + "]"
                    + (read.equals(changed) ? " — the content written after the snapshot, so the data disk was "
                            + "not restored" : "") + ". Fix: the StorageClass's snapshots must hold what was synced "
                    + "before them (crash-consistent at least)", details, evidence);
        }
        return CapabilityCheck.worked(Capability.RESTORE, took, details, evidence);
    }

    /**
     * Deletes a restore that did not complete, waits until KubeVirt lets the VM go ({@code restoreInProgress}
     * cleared) and starts it again on its own disks: what the checks after this one need.
     *
     * @return a sentence for the failure message when the VM could not be given back
     */
    private String release(String restore, VmPower power) {
        KubeVirt.in(client, KubeVirt.VM_RESTORE, namespace).withName(restore).delete();
        Optional<String> holding = power.awaitNoRestore();
        if (holding.isPresent()) {
            return "; the VM stays stopped: restore " + holding.get() + " still holds it (status.restoreInProgress) "
                    + seconds(readyTimeout) + " after it was deleted";
        }
        power.start("its failed restore");
        return "";
    }

    private VmPower power() {
        return new VmPower(client, namespace, vm(), guest.agent(), readyTimeout);
    }

    // --- clone ----------------------------------------------------------------------------------------------

    /**
     * A DataVolume clone of the VM's data PVC in the same StorageClass, taken while the VM is stopped: CDI starts
     * no clone of a claim a pod mounts (CloneSourceInUse). The strategy CDI chose, and why it fell back to a copy,
     * are read from the clone's PVC.
     */
    public CapabilityCheck cloneDataDisk(Duration deadline) {
        PersistentVolumeClaim source = dataClaim();
        String name = "clone-" + vm();
        Map<String, Object> scope = scope(name);
        scope.put("source", source.getMetadata().getName());
        scope.put("pool", group.spec().pool());
        scope.put("size", source.getSpec().getResources().getRequests().get("storage").toString());
        String manifest = templates.render("clone-datavolume.yaml.mustache", scope);
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put(name + ".datavolume.yaml", manifest);
        Map<String, String> details = new LinkedHashMap<>();
        VmPower power = power();
        Optional<String> notStopped = power.stop();
        try {
            if (notStopped.isPresent()) {
                return CapabilityCheck.failed(Capability.CLONE, Duration.ZERO, notStopped.get() + ", and CDI "
                        + "clones no PVC a pod mounts. Fix: see the VM's events", details, evidence);
            }
            Instant created = Instant.now();
            create(KubeVirt.DATA_VOLUME, manifest);
            Polled<GenericKubernetesResource> done = poll("DataVolume " + name + " cloned", deadline,
                    () -> get(KubeVirt.DATA_VOLUME, name), dv -> dv != null && List.of("Succeeded", "Failed")
                            .contains(String.valueOf(status(dv).get("phase"))));
            Duration took = Duration.between(created, Instant.now());
            GenericKubernetesResource last = get(KubeVirt.DATA_VOLUME, name);
            evidence.put(name + ".status.yaml", yaml(last));
            PersistentVolumeClaim target = client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
            details.putAll(CloneStrategy.of(target, last).details());
            Map<String, Object> status = status(last);
            if (done.timedOut() || !"Succeeded".equals(status.get("phase"))) {
                String why = done.timedOut() ? "was still " + status.getOrDefault("phase", "unset") + " (progress "
                        + status.getOrDefault("progress", "N/A") + ") after " + seconds(deadline)
                        + warnings("DataVolume", name) : "failed" + conditions(status);
                return CapabilityCheck.failed(Capability.CLONE, took, "DataVolume " + name + " cloning PVC "
                        + source.getMetadata().getName() + " " + why + ". Fix: see the DataVolume's conditions and "
                        + "events (oc describe dv " + name + " -n " + namespace + "); CDI starts no clone while a pod "
                        + "mounts the source (CloneSourceInUse)", details, evidence);
            }
            return CapabilityCheck.worked(Capability.CLONE, took, details, evidence);
        } finally {
            // the copy is not needed: free its space now (the group's cleanup would delete it too)
            KubeVirt.in(client, KubeVirt.DATA_VOLUME, namespace).withName(name).delete();
            power.start("the clone of its data disk");
        }
    }

    /** The object's Warning events, newest last, as {@code ; events Reason: message, …} (CloneSourceInUse first). */
    private String warnings(String kind, String name) {
        List<String> seen = client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> kind.equals(e.getInvolvedObject().getKind()) && name.equals(e.getInvolvedObject()
                        .getName()) && "Warning".equals(e.getType()))
                .map(e -> e.getReason() + ": " + e.getMessage()).distinct().toList();
        return seen.isEmpty() ? "" : "; events " + String.join(", ", seen);
    }

    // --- expansion ------------------------------------------------------------------------------------------

    /** Grows the data PVC by 1 GiB while the VM runs and waits until the guest sees the larger disk. */
    public CapabilityCheck expand(Duration deadline) {
        Optional<String> off = features().expansionUnavailable();
        if (off.isPresent()) {
            return CapabilityCheck.unsupported(Capability.EXPANSION, off.get() + ", so a running guest does not see "
                    + "its disk grow. Fix: enable the gate in the KubeVirt resource, or upgrade KubeVirt");
        }
        StorageFacts facts = facts();
        if (!facts.allowsExpansion()) {
            return CapabilityCheck.unsupported(Capability.EXPANSION, "StorageClass " + facts.storageClass()
                    + " does not set allowVolumeExpansion: true, so the API server refuses to grow its PVCs");
        }
        PersistentVolumeClaim claim = dataClaim();
        String name = claim.getMetadata().getName();
        long before = guest.agent().dataDiskBytes();
        BigInteger requested = Quantity.getAmountInBytes(claim.getSpec().getResources().getRequests().get("storage"))
                .toBigInteger();
        long wanted = requested.longValueExact() + EXPANSION_BYTES;
        Map<String, String> details = new LinkedHashMap<>();
        details.put("guest-bytes-before", Long.toString(before));
        details.put("requested", new Quantity(Long.toString(wanted)).toString());
        Map<String, String> evidence = new LinkedHashMap<>();
        Instant asked = Instant.now();
        try {
            // a merge patch of the request alone: the resizer rewrites the claim's status meanwhile
            client.persistentVolumeClaims().inNamespace(namespace).withName(name).patch(
                    io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                    "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"" + wanted + "\"}}}}");
        } catch (KubernetesClientException e) {
            return CapabilityCheck.failed(Capability.EXPANSION, Duration.ZERO, "the API server refused to grow PVC "
                    + name + " to " + wanted + " bytes: " + e.getMessage() + ". Fix: the StorageClass must allow "
                    + "expansion and this identity needs patch on persistentvolumeclaims", details, evidence);
        }
        // the guest sees a Filesystem PVC's disk image minus the file system's overhead: half the step is growth
        long seen = before + EXPANSION_BYTES / 2;
        Polled<Long> grown = poll("guest of " + vm() + " sees the expanded disk", deadline, () -> {
            resizeFailure(name).ifPresent(why -> {
                throw new ResizeFailed(why);
            });
            return guest.agent().dataDiskBytes();
        }, bytes -> bytes >= seen);
        Duration took = Duration.between(asked, Instant.now());
        PersistentVolumeClaim last = client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
        evidence.put(name + ".pvc.yaml", Serialization.asYaml(last));
        Optional<String> failure = resizeFailure(name);
        if (grown.timedOut() || failure.isPresent()) {
            long now = guest.agent().dataDiskBytes();
            details.put("guest-bytes-after", Long.toString(now));
            String capacity = Optional.ofNullable(last.getStatus()).map(s -> s.getCapacity())
                    .map(c -> c.get("storage")).map(Quantity::toString).orElse("unknown");
            return CapabilityCheck.failed(Capability.EXPANSION, took, failure.map(why -> "expanding PVC " + name
                    + " failed: " + why + ". Fix: see the PVC's events; the CSI driver must expand volumes in use "
                    + "(online expansion)").orElse("the guest of VM " + vm() + " still sees its data disk as " + now
                    + " bytes " + seconds(deadline) + " after PVC " + name + " was grown to " + wanted + " bytes (PVC "
                    + "capacity " + capacity + "). Fix: KubeVirt passes a PVC's growth to a running guest only with "
                    + "the ExpandDisks feature gate, and the CSI driver must expand volumes in use"), details, evidence);
        }
        details.put("guest-bytes-after", Long.toString(grown.value()));
        return CapabilityCheck.worked(Capability.EXPANSION, took, details, evidence);
    }

    private static final class ResizeFailed extends RuntimeException {
        ResizeFailed(String message) {
            super(message);
        }
    }

    /** The resizer's verdict on the claim when it gave up: an error condition or an infeasible resize status. */
    private Optional<String> resizeFailure(String claim) {
        PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get();
        if (pvc == null || pvc.getStatus() == null) {
            return Optional.empty();
        }
        for (var c : Optional.ofNullable(pvc.getStatus().getConditions()).orElse(List.of())) {
            if (c.getType().endsWith("ResizeError") && "True".equals(c.getStatus())) {
                return Optional.of(c.getType() + ": " + c.getMessage());
            }
        }
        String state = Optional.ofNullable(pvc.getStatus().getAllocatedResourceStatuses()).map(m -> m.get("storage"))
                .orElse("");
        return state.endsWith("Infeasible") ? Optional.of("allocatedResourceStatuses.storage " + state)
                : Optional.empty();
    }

    // --- live migration -------------------------------------------------------------------------------------

    /**
     * Live-migrates the VM while fio runs a rated 70/30 random 4k load with 100 ms logs: the migration's time, the
     * longest stretch without completed I/O, and the p99 of the 100 ms mean latencies during the migration against
     * before it. Not tried unless every disk is ReadWriteMany (KubeVirt refuses, and a drain would wait on the VM).
     */
    public CapabilityCheck migrate(Duration deadline, Duration load) {
        List<String> notShared = new ArrayList<>();
        for (Map<String, Object> volume : list(map(map(spec(get(KubeVirt.VIRTUAL_MACHINE, vm())).get("template"))
                .get("spec")).get("volumes"))) {
            String claim = claimOf(volume);
            if (claim == null) {
                continue;
            }
            PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get();
            List<String> modes = pvc == null ? List.of() : Optional.ofNullable(pvc.getSpec().getAccessModes())
                    .orElse(List.of());
            if (!modes.contains("ReadWriteMany")) {
                notShared.add(volume.get("name") + " (PVC " + claim + ": " + modes + ")");
            }
        }
        if (!notShared.isEmpty()) {
            return CapabilityCheck.unsupported(Capability.MIGRATION, "live migration needs every disk ReadWriteMany, "
                    + "and " + String.join(", ", notShared) + " is not; KubeVirt refuses to migrate such a VM");
        }
        Optional<String> notMigratable = condition(status(get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, vm())),
                "LiveMigratable", "False");
        if (notMigratable.isPresent()) {
            return CapabilityCheck.unsupported(Capability.MIGRATION, "KubeVirt reports VMI " + vm()
                    + " as not live-migratable: " + notMigratable.get());
        }
        GuestAgent agent = guest.agent();
        Duration offset = agent.clockOffset();
        String bootBefore = agent.bootId();
        GuestStatus laid = agent.installAndPrefill(migrationJob(load));
        if (laid.running()) {
            laid = agent.await(readyTimeout);
        }
        if (!laid.prefilled()) {
            throw new dev.vmbench.guest.GuestException("Laying out the migration load's test file on VM " + vm()
                    + " did not finish (" + laid + "). Fix: see 'vmbench-guest diagnose' on the VM");
        }
        Instant fioStart = Instant.now().plusMillis(500);
        agent.start(fioStart, offset);
        // the stall as the outside sees it, on this machine's clock: the guest's own stops while it is paused
        dev.vmbench.guest.IoProbe outside = agent.probeIo(load);
        // a third of the load runs before the migration: the "before" the stall and p99 are compared with
        LockSupport.parkNanos(Duration.between(Instant.now(), fioStart.plus(load.dividedBy(3))).toNanos());
        String name = "migrate-" + vm() + "-" + Long.toString(System.currentTimeMillis() % 46656, 36);
        String manifest = templates.render("vmi-migration.yaml.mustache", scope(name));
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put(name + ".migration.yaml", manifest);
        String sourceNode = String.valueOf(status(get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, vm())).get("nodeName"));
        int reconnects = agent.reconnects();
        Instant created = Instant.now();
        long createdNanos = System.nanoTime();
        create(KubeVirt.MIGRATION, manifest);
        Polled<GenericKubernetesResource> done = poll("migration " + name + " finished", deadline,
                () -> get(KubeVirt.MIGRATION, name), m -> m != null && List.of("Succeeded", "Failed")
                        .contains(String.valueOf(status(m).get("phase"))));
        Instant finished = Instant.now();
        long finishedNanos = System.nanoTime();
        Duration took = Duration.between(created, finished);
        GenericKubernetesResource last = get(KubeVirt.MIGRATION, name);
        if ("Succeeded".equals(status(last).get("phase"))) {
            // virt-api's connection went to the source pod, which is gone: the old tunnel is silent from now on
            agent.reconnect();
        }
        evidence.put(name + ".status.yaml", yaml(last));
        Map<String, Object> state = map(status(get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, vm())).get("migrationState"));
        Map<String, String> details = new LinkedHashMap<>();
        details.put("source-node", sourceNode);
        details.put("target-node", String.valueOf(state.getOrDefault("targetNode", "")));
        GuestStatus fio = agent.await(load.plusSeconds(60));
        outside.close();
        String logs = TimeSeries.gunzip(vm(), agent.logs());
        evidence.put(vm() + "-migration-fio.json", agent.result());
        // a live migration keeps the guest's kernel running: the same boot id on the target
        details.put("guest-kept-running", agent.bootId().equals(bootBefore) ? "yes" : "no");
        // the tunnel to the source pod goes with it: the session is opened again to the target
        details.put("ssh-reconnects", Integer.toString(agent.reconnects() - reconnects));
        if (done.timedOut() || !"Succeeded".equals(status(last).get("phase"))) {
            String why = done.timedOut() ? "was still " + status(last).getOrDefault("phase", "unset") + " after "
                    + seconds(deadline) : "failed: " + state.getOrDefault("failureReason", "no reason given")
                    + conditions(status(last));
            return CapabilityCheck.failed(Capability.MIGRATION, took, "live migration " + name + " of VM " + vm() + " "
                    + why + ". Fix: see the migration's and the target virt-launcher pod's events (oc describe vmim "
                    + name + " -n " + namespace + ")", details, evidence);
        }
        if (fio.finished() > 0 && fio.finished() - offset.toNanos() / 1e9 < finished.toEpochMilli() / 1e3) {
            // the stall and the p99 during the migration would miss its end: not a measurement of it
            throw new dev.vmbench.guest.GuestException("fio's load on VM " + vm() + " ended before live migration "
                    + name + " did (" + seconds(took) + " after it began, with vmbench.capabilities.migrationLoad "
                    + load.toSeconds() + "s), so its stall was not measured. Fix: raise "
                    + "-Dvmbench.capabilities.migrationLoad to at least three times the migration's time");
        }
        List<TimeSeries.Point> points = TimeSeries.parse(vm(), logs, LOG_INTERVAL, offset);
        double from = created.toEpochMilli() / 1e3;
        double to = finished.toEpochMilli() / 1e3;
        if (outside.completions() == 0) {
            throw new dev.vmbench.guest.GuestException("The I/O probe of VM " + vm() + " saw no write complete during "
                    + "live migration " + name + ", so its stall was not measured. Fix: see 'vmbench-guest diagnose' "
                    + "on the VM (io-probe writes to the data disk)");
        }
        details.put("io-stall-ms", Long.toString(outside.longestStallMs(createdNanos, finishedNanos)));
        details.put("io-unseen-ms", Long.toString(outside.longestUnseenMs(createdNanos, finishedNanos)));
        details.put("guest-io-stall-ms", Long.toString(longestStallMs(points, from, to)));
        double before = p99(points.stream().filter(p -> p.epochSeconds() < from && p.epochSeconds() > fioStart
                .toEpochMilli() / 1e3 + LOG_INTERVAL.toMillis() / 1e3).toList());
        double during = p99(points.stream().filter(p -> p.epochSeconds() >= from && p.epochSeconds() <= to + 0.1)
                .toList());
        details.put("interval-mean-p99-before-ms", String.format(Locale.ROOT, "%.2f", before / 1e6));
        details.put("interval-mean-p99-during-ms", String.format(Locale.ROOT, "%.2f", during / 1e6));
        evidence.put(vm() + "-migration-logs.txt", logs);
        return CapabilityCheck.worked(Capability.MIGRATION, took, details, evidence);
    }

    /**
     * The longest stretch without a completed I/O around the migration, in ms: log intervals of zero IOPS, and gaps
     * between logged intervals (fio writes no entry for an interval without completions).
     */
    static long longestStallMs(List<TimeSeries.Point> points, double from, double to) {
        double step = LOG_INTERVAL.toMillis() / 1e3;
        double longest = 0;
        double stallStart = Double.NaN;
        double previous = Double.NaN;
        for (TimeSeries.Point p : points) {
            if (p.epochSeconds() < from - 1 || p.epochSeconds() > to + 1) {
                continue;
            }
            if (!Double.isNaN(previous) && p.epochSeconds() - previous > step * 1.5) {
                longest = Math.max(longest, p.epochSeconds() - previous - step);
            }
            if (p.iops() == 0) {
                stallStart = Double.isNaN(stallStart) ? p.epochSeconds() - step : stallStart;
                longest = Math.max(longest, p.epochSeconds() - stallStart);
            } else {
                stallStart = Double.NaN;
            }
            previous = p.epochSeconds();
        }
        return Math.round(longest * 1000);
    }

    /** The 99th percentile of the intervals' mean completion latency, in ns; NaN without intervals. */
    static double p99(List<TimeSeries.Point> points) {
        double[] values = points.stream().filter(p -> p.iops() > 0).mapToDouble(TimeSeries.Point::clatMeanNs)
                .sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        return values[Math.min(values.length - 1, (int) Math.ceil(values.length * 0.99) - 1)];
    }

    private String migrationJob(Duration load) {
        return "[global]\nioengine=libaio\ndirect=1\ntime_based=1\nruntime=" + load.toSeconds() + "\nsize="
                + fileSizeBytes + "\nfilename=vmbench-migration\n\n[migration-load]\nrw=randrw\nrwmixread=70\nbs=4k\n"
                + "iodepth=16\nnumjobs=1\nrate_iops=350,150\n; vmbench-files: vmbench-migration\n; vmbench-file-size: "
                + fileSizeBytes + "\n; vmbench-log-msec: " + LOG_INTERVAL.toMillis() + "\n";
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** The VM's data disk PVC as the VM's spec names it now (a restore gives it a new one). */
    private PersistentVolumeClaim dataClaim() {
        for (Map<String, Object> volume : list(map(map(spec(get(KubeVirt.VIRTUAL_MACHINE, vm())).get("template"))
                .get("spec")).get("volumes"))) {
            if ("datadisk".equals(volume.get("name")) && claimOf(volume) != null) {
                PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace)
                        .withName(claimOf(volume)).get();
                if (pvc != null) {
                    return pvc;
                }
            }
        }
        throw new ProvisioningException("VM " + vm() + " has no data disk PVC (volume datadisk). Fix: see the VM's "
                + "spec.template.spec.volumes");
    }

    private static String claimOf(Map<String, Object> volume) {
        Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
        if (claim == null) {
            claim = map(volume.get("dataVolume")).get("name");
        }
        return claim == null ? null : claim.toString();
    }

    private Optional<String> snapshotClass(String driver) {
        try {
            return client.genericKubernetesResources(KubeVirt.VOLUME_SNAPSHOT_CLASS).list().getItems().stream()
                    .filter(c -> driver.equals(String.valueOf(c.getAdditionalProperties().get("driver"))))
                    .map(c -> c.getMetadata().getName()).sorted().findFirst();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private Map<String, Object> scope(String name) {
        return scope(name, namespace, vm(), labels);
    }

    private static Map<String, Object> scope(String name, String namespace, String vm, Map<String, String> labels) {
        Map<String, Object> scope = new HashMap<>();
        scope.put("name", name);
        scope.put("namespace", namespace);
        scope.put("vm", vm);
        scope.put("labels", labels.entrySet().stream().map(e -> Map.of("key", e.getKey(), "value", e.getValue()))
                .toList());
        return scope;
    }

    /**
     * Every manifest the checks create, for VM {@code vm} with data PVC {@code claim}, rendered as the checks render
     * them (snapshot, restore, clone, migration): what the schema test validates without a cluster.
     */
    static Map<String, String> manifests(Templates templates, String namespace, String vm, String claim, String pool,
            Map<String, String> labels) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> snapshot = scope("snap-" + vm, namespace, vm, labels);
        snapshot.put("failureDeadline", "600s");
        out.put("VirtualMachineSnapshot", templates.render("vm-snapshot.yaml.mustache", snapshot));
        Map<String, Object> restore = scope("restore-" + vm, namespace, vm, labels);
        restore.put("snapshot", "snap-" + vm);
        out.put("VirtualMachineRestore", templates.render("vm-restore.yaml.mustache", restore));
        Map<String, Object> clone = scope("clone-" + vm, namespace, vm, labels);
        clone.put("source", claim);
        clone.put("pool", pool);
        clone.put("size", "50Gi");
        out.put("DataVolume", templates.render("clone-datavolume.yaml.mustache", clone));
        out.put("VirtualMachineInstanceMigration", templates.render("vmi-migration.yaml.mustache",
                scope("migrate-" + vm + "-x1", namespace, vm, labels)));
        return out;
    }

    private void create(io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext type, String manifest) {
        GenericKubernetesResource resource = Serialization.unmarshal(manifest, GenericKubernetesResource.class);
        LOG.info("Creating {} {} in {}", type.getKind(), resource.getMetadata().getName(), namespace);
        KubeVirt.in(client, type, namespace).resource(resource).create();
    }

    private GenericKubernetesResource get(io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext type,
            String name) {
        return KubeVirt.in(client, type, namespace).withName(name).get();
    }

    /** Whether {@code done} held within the deadline, and the last value read (which may be null: gone). */
    private record Polled<T>(boolean done, T value) {
        boolean timedOut() {
            return !done;
        }
    }

    private static <T> Polled<T> poll(String alias, Duration deadline, Supplier<T> read, Predicate<T> done) {
        java.util.concurrent.atomic.AtomicReference<T> last = new java.util.concurrent.atomic.AtomicReference<>();
        Instant started = Instant.now();
        java.util.concurrent.atomic.AtomicLong told = new java.util.concurrent.atomic.AtomicLong();
        try {
            Awaitility.await(alias).atMost(deadline.plusMillis(1)).pollInSameThread().pollInterval(POLL).until(() -> {
                T value = read.get();
                last.set(value);
                // a wait of minutes says where it is, every half minute
                long waited = Duration.between(started, Instant.now()).toSeconds();
                if (waited / PROGRESS_EVERY > told.get()) {
                    told.set(waited / PROGRESS_EVERY);
                    LOG.info("Still waiting for {}: {} s of at most {} s", alias, waited, deadline.toSeconds());
                }
                return done.test(value);
            });
            return new Polled<>(true, last.get());
        } catch (ConditionTimeoutException | ResizeFailed e) {
            return new Polled<>(false, last.get());
        }
    }

    private static Optional<String> failure(Map<String, Object> status) {
        return condition(status, "Failure", "True");
    }

    /** The reason and message of condition {@code type} when its status is {@code value}. */
    private static Optional<String> condition(Map<String, Object> status, String type, String value) {
        return list(status.get("conditions")).stream().filter(c -> type.equals(c.get("type"))
                && value.equals(String.valueOf(c.get("status")))).findFirst()
                .map(c -> java.util.stream.Stream.of(c.get("reason"), c.get("message")).filter(p -> p != null
                        && !p.toString().isEmpty()).map(Object::toString).collect(java.util.stream.Collectors
                        .joining(": ")));
    }

    /**
     * The restore's PVCs that are not Bound, each with its newest Warning event: why the provisioner cannot create
     * it from the VolumeSnapshot (KubeVirt's restore waits for them and says only "Waiting for new PVCs").
     */
    private String unboundClaims(Map<String, Object> restoreStatus) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> restored : list(restoreStatus.get("restores"))) {
            String claim = String.valueOf(restored.get("persistentVolumeClaim"));
            PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get();
            String phase = pvc == null ? "missing" : Optional.ofNullable(pvc.getStatus()).map(st -> st.getPhase())
                    .orElse("Pending");
            if (phase.equals("Bound")) {
                continue;
            }
            String event = client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .filter(e -> claim.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType()))
                    .reduce((a, b) -> b).map(e -> " (" + e.getReason() + ": " + e.getMessage() + ")").orElse("");
            out.add("PVC " + claim + " is " + phase + event);
        }
        return out.isEmpty() ? "" : "; " + String.join(", ", out);
    }

    private static String conditions(Map<String, Object> status) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : list(status.get("conditions"))) {
            out.add(c.get("type") + "=" + c.get("status") + (c.get("reason") == null ? "" : " " + c.get("reason"))
                    + (c.get("message") == null || c.get("message").toString().isEmpty() ? "" : " (" + c.get("message")
                    + ")"));
        }
        return out.isEmpty() ? "" : "; conditions " + String.join(", ", out);
    }

    private static String error(Map<String, Object> status) {
        Object message = map(status.get("error")).get("message");
        return message == null ? "no error message" + conditions(status) : message.toString();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    private static String yaml(GenericKubernetesResource resource) {
        return resource == null ? "(gone)\n" : Serialization.asYaml(resource);
    }

    private static List<String> strings(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof List<?> l) {
            l.forEach(v -> out.add(String.valueOf(v)));
        }
        return out;
    }




}
