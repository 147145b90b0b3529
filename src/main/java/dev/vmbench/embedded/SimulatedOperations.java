package dev.vmbench.embedded;

import static dev.vmbench.cluster.Untyped.spec;
import static dev.vmbench.cluster.Untyped.map;
import static dev.vmbench.cluster.Untyped.list;
import static dev.vmbench.cluster.Untyped.status;
import static dev.vmbench.embedded.StatusWriter.condition;

import dev.vmbench.cluster.KubeVirt;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimCondition;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded cluster's storage operations on VMs, acted out as the upstream controllers do them: KubeVirt's
 * snapshot controller (VirtualMachineSnapshot InProgress → Succeeded with one VolumeSnapshot per volume), its restore
 * controller (new PVCs from the VolumeSnapshots, the VM pointed at them, complete), its migration controller
 * (Pending → Scheduling → Scheduled → PreparingTarget → TargetReady → Running → Succeeded; the VMI's migrationState and
 * node), CDI's PVC clone (strategy in {@code cdi.kubevirt.io/cloneType}) and the CSI resizer. What the guest can do
 * for real it does. A sandbox: a snapshot copies its data disk's content, a restore brings that copy back, an
 * expansion grows the disk the guest reads, a migration's switch-over freezes the guest's processes. A QEMU guest: a
 * snapshot or clone copies the disk images while QEMU is stopped, a restore boots from the copies, an expansion is
 * QEMU's {@code block_resize}, a migration is QEMU's own to a second QEMU process. {@link Fault}s replace a step
 * with the failure upstream would report.
 */
final class SimulatedOperations implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatedOperations.class);
    private static final long STEP_MS = 100;
    /** QEMU's default downtime limit for a live migration's switch-over (migrate-set-parameters downtime-limit). */
    static final Duration SWITCH_OVER = Duration.ofMillis(QemuGuest.SWITCH_OVER_LIMIT_MS);
    /** How long fault migration-pause holds the guest paused. */
    static final Duration FORCED_PAUSE = Duration.ofSeconds(1);
    /** How long a QEMU migration may take before it is cancelled (KubeVirt's completionTimeoutPerGiB is 150 s). */
    private static final Duration QEMU_MIGRATION_LIMIT = Duration.ofMinutes(5);
    private static final String CLONE_FALLBACK = "cdi.kubevirt.io/cloneFallbackReason";
    /** Marks a restored claim the driver will fail to provision once its consumer is scheduled (the snapshot). */
    static final String WFFC_FAILS = "vmbench.dev/embedded-provisioning-fails";
    private static final String CLONE_TYPE = "cdi.kubevirt.io/cloneType";
    private final KubernetesClient client;
    private final SimulatedKubeVirt kubevirt;
    /** virt-api's tunnels to a VMI, which a switch-over leaves silent. */
    private final SimulatedApiServer api;
    private final List<Fault> faults;
    private final ScheduledExecutorService steps = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "simulated-storage-operations");
        t.setDaemon(true);
        return t;
    });
    private static final long RECONCILE_MS = 200;
    /** What was acted on already, by UID; the snapshots last seen; each PVC's request last seen. */
    private final java.util.Set<String> handled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, GenericKubernetesResource> knownSnapshots = new LinkedHashMap<>();
    private final Map<String, java.math.BigDecimal> claimSizes = new LinkedHashMap<>();

    SimulatedOperations(KubernetesClient client, SimulatedKubeVirt kubevirt, List<Fault> faults,
            SimulatedApiServer api) {
        this.api = api;
        this.client = client;
        this.kubevirt = kubevirt;
        this.faults = List.copyOf(faults);
    }

    /**
     * Reconciles every 200 ms, as the controllers' work queues would: a list of each kind rather than a watch, so
     * the embedded API server holds no watch of these that its shutdown would have to drain.
     */
    void start() {
        steps.scheduleWithFixedDelay(() -> step("reconcile", this::reconcile), RECONCILE_MS, RECONCILE_MS,
                TimeUnit.MILLISECONDS);
    }

    private void reconcile() {
        Map<String, GenericKubernetesResource> snapshots = new LinkedHashMap<>();
        for (GenericKubernetesResource snapshot : all(KubeVirt.VM_SNAPSHOT)) {
            snapshots.put(snapshot.getMetadata().getUid(), snapshot);
            if (handled.add(snapshot.getMetadata().getUid())) {
                snapshot(snapshot);
            }
        }
        // deletionPolicy Delete: the content and its VolumeSnapshots go with the snapshot
        new ArrayList<>(knownSnapshots.keySet()).stream().filter(uid -> !snapshots.containsKey(uid))
                .forEach(uid -> {
                    GenericKubernetesResource gone = knownSnapshots.remove(uid);
                    unlockSource(gone);
                    deleteContent(gone);
                });
        knownSnapshots.putAll(snapshots);
        // a restore waiting for its target is looked at again each round, as the controller requeues it
        List<GenericKubernetesResource> restores = all(KubeVirt.VM_RESTORE);
        restores.stream().filter(r -> !handled.contains(r.getMetadata().getUid()))
                .filter(this::restore).forEach(r -> handled.add(r.getMetadata().getUid()));
        // handleVMRestoreDeletion: a restore deleted before it completed lets its VM go
        java.util.Set<String> present = new java.util.HashSet<>(restores.stream().map(r -> r.getMetadata().getUid())
                .toList());
        new ArrayList<>(restoring.keySet()).stream().filter(uid -> !present.contains(uid)).forEach(this::doneRestore);
        all(KubeVirt.MIGRATION).stream().filter(m -> handled.add(m.getMetadata().getUid())).forEach(this::migrate);
        all(KubeVirt.DATA_VOLUME).stream().filter(dv -> map(map(spec(dv).get("source")).get("pvc")).get("name") != null)
                .filter(dv -> !handled.contains(dv.getMetadata().getUid())).filter(this::cloneClaim)
                .forEach(dv -> handled.add(dv.getMetadata().getUid()));
        Map<String, java.math.BigDecimal> seen = new LinkedHashMap<>();
        for (PersistentVolumeClaim pvc : client.persistentVolumeClaims().inAnyNamespace().list().getItems()) {
            Quantity now = pvc.getSpec().getResources() == null || pvc.getSpec().getResources().getRequests() == null
                    ? null : pvc.getSpec().getResources().getRequests().get("storage");
            if (now == null) {
                continue;
            }
            bound(pvc);
            String key = pvc.getMetadata().getNamespace() + "/" + pvc.getMetadata().getName() + "/"
                    + pvc.getMetadata().getUid();
            java.math.BigDecimal bytes = Quantity.getAmountInBytes(now);
            seen.put(key, bytes);
            java.math.BigDecimal was = claimSizes.get(key);
            if (was != null && bytes.compareTo(was) > 0) {
                resize(pvc);
            }
        }
        new ArrayList<>(claimSizes.keySet()).stream().filter(key -> !seen.containsKey(key)).forEach(key -> {
            String[] parts = key.split("/");
            SandboxDisks.deleteTree(kubevirt.disks().claim(parts[0], parts[1]));
        });
        claimSizes.clear();
        claimSizes.putAll(seen);
    }

    /**
     * The PV controller's binding, as a Bound claim's status shows it: the access modes and capacity of the volume
     * (here the claim's own request) — what real Bound PVCs carry and a sandbox claim created Bound lacks.
     */
    private void bound(PersistentVolumeClaim pvc) {
        io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus status = pvc.getStatus();
        if (status == null || !"Bound".equals(status.getPhase()) || status.getAccessModes() != null
                && !status.getAccessModes().isEmpty() && status.getCapacity() != null) {
            return;
        }
        claimStatus(pvc.getMetadata().getNamespace(), pvc.getMetadata().getName(), s -> {
            s.setAccessModes(pvc.getSpec().getAccessModes());
            if (s.getCapacity() == null || s.getCapacity().isEmpty()) {
                s.setCapacity(pvc.getSpec().getResources() == null ? null : pvc.getSpec().getResources()
                        .getRequests());
            }
        });
    }

    private List<GenericKubernetesResource> all(ResourceDefinitionContext type) {
        return client.genericKubernetesResources(type).inAnyNamespace().list().getItems();
    }

    // --- VirtualMachineSnapshot -----------------------------------------------------------------------------

    /**
     * The snapshot controller: InProgress with the VM's indications (online; no guest agent in a sandbox, so no
     * freeze), a VolumeSnapshot per PVC volume, then Succeeded once every VolumeSnapshot is ready to use. A snapshot
     * whose VolumeSnapshots never get ready fails at its failureDeadline.
     */
    private void snapshot(GenericKubernetesResource snapshot) {
        String ns = snapshot.getMetadata().getNamespace();
        String name = snapshot.getMetadata().getName();
        String vmName = String.valueOf(map(spec(snapshot).get("source")).get("name"));
        GenericKubernetesResource vm = get(KubeVirt.VIRTUAL_MACHINE, ns, vmName);
        if (vm == null) {
            StatusWriter.status(client, KubeVirt.VM_SNAPSHOT, ns, name, Map.of("phase", "InProgress", "readyToUse", false, "conditions",
                    List.of(condition("Progressing", "False", "Source does not exist", ""), condition("Ready",
                            "False", "Source does not exist", ""))));
            return;
        }
        boolean online = get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmName) != null;
        List<String> indications = online ? List.of("Online", "NoGuestAgent") : List.of();
        String uid = snapshot.getMetadata().getUid();
        List<String> volumes = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        List<Map<String, Object>> backups = new ArrayList<>();
        Map<String, String> restoreSizes = new LinkedHashMap<>();
        for (Map<String, Object> volume : volumes(vm)) {
            String claim = claimOf(volume);
            PersistentVolumeClaim pvc = claim == null ? null : client.persistentVolumeClaims().inNamespace(ns)
                    .withName(claim).get();
            String volumeName = String.valueOf(volume.get("name"));
            if (pvc == null) {
                excluded.add(volumeName);
                continue;
            }
            volumes.add(volumeName);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("name", claim);
            meta.put("namespace", ns);
            meta.put("labels", Optional.ofNullable(pvc.getMetadata().getLabels()).orElse(Map.of()));
            String snapshotName = "vmsnapshot-" + uid + "-volume-" + volumeName;
            restoreSizes.put(snapshotName, restoreSize(pvc));
            backups.add(Map.of("volumeName", volumeName, "volumeSnapshotName", snapshotName, "persistentVolumeClaim",
                    Map.of("metadata", meta, "spec", Serialization.jsonMapper().convertValue(pvc.getSpec(),
                            Map.class))));
        }
        // the content holds the VM's spec and a backup per volume; it, not the snapshot, owns the VolumeSnapshots
        String contentName = "vmsnapshot-content-" + uid;
        GenericKubernetesResource content = new GenericKubernetesResource();
        content.setApiVersion("snapshot.kubevirt.io/v1beta1");
        content.setKind("VirtualMachineSnapshotContent");
        content.setMetadata(new ObjectMetaBuilder().withName(contentName).withNamespace(ns)
                .withFinalizers("snapshot.kubevirt.io/vmsnapshotcontent-protection").build());
        content.setAdditionalProperty("spec", Map.of("virtualMachineSnapshotName", name, "source", Map.of(
                "virtualMachine", Map.of("metadata", Map.of("name", vmName, "namespace", ns), "spec",
                        Serialization.clone(spec(vm)))), "volumeBackups", backups));
        String contentUid = KubeVirt.in(client, KubeVirt.VM_SNAPSHOT_CONTENT, ns).resource(content).create()
                .getMetadata().getUid();
        for (Map<String, Object> backup : backups) {
            String claim = String.valueOf(map(map(backup.get("persistentVolumeClaim")).get("metadata")).get("name"));
            String vs = String.valueOf(backup.get("volumeSnapshotName"));
            GenericKubernetesResource volumeSnapshot = new GenericKubernetesResource();
            volumeSnapshot.setApiVersion("snapshot.storage.k8s.io/v1");
            volumeSnapshot.setKind("VolumeSnapshot");
            volumeSnapshot.setMetadata(new ObjectMetaBuilder().withName(vs).withNamespace(ns)
                    .addToLabels("snapshot.kubevirt.io/source-vm-name", vmName)
                    .addToLabels("snapshot.kubevirt.io/source-vm-namespace", ns)
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("snapshot.kubevirt.io/v1beta1")
                            .withKind("VirtualMachineSnapshotContent").withName(contentName).withUid(contentUid)
                            .withController(true).withBlockOwnerDeletion(true).build()).build());
            volumeSnapshot.setAdditionalProperty("spec", Map.of("volumeSnapshotClassName", EmbeddedCluster
                    .SNAPSHOT_CLASS, "source", Map.of("persistentVolumeClaimName", claim)));
            KubeVirt.in(client, KubeVirt.VOLUME_SNAPSHOT, ns).resource(volumeSnapshot).create();
            StatusWriter.status(client, KubeVirt.VOLUME_SNAPSHOT, ns, vs, Map.of("readyToUse", false));
            // the CSI driver cuts the snapshot now: what the guest had synced is in it
            copyClaim(ns, claim, kubevirt.disks().snapshot(ns, vs));
        }
        StatusWriter.status(client, KubeVirt.VM_SNAPSHOT_CONTENT, ns, contentName, Map.of("readyToUse", false,
                "volumeSnapshotStatus", backups.stream().map(b -> Map.of("volumeSnapshotName", b.get(
                        "volumeSnapshotName"), "readyToUse", false)).toList()));
        Map<String, Object> progressing = new LinkedHashMap<>();
        progressing.put("phase", "InProgress");
        progressing.put("readyToUse", false);
        progressing.put("sourceUID", vm.getMetadata().getUid());
        progressing.put("indications", indications);
        // the content's status is initialized: the snapshot names it from now on
        progressing.put("virtualMachineSnapshotContentName", contentName);
        progressing.put("conditions", List.of(condition("Progressing", "True", "Source locked and operation in "
                + "progress", ""), condition("Ready", "False", "Not ready", "")));
        StatusWriter.status(client, KubeVirt.VM_SNAPSHOT, ns, name, progressing);
        // the source is locked while the snapshot runs: the VM webhook refuses spec changes (vms-admitter.go)
        StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, ns, vmName, "snapshotInProgress", name);
        if (faults.contains(Fault.SNAPSHOT_NEVER_READY)) {
            long deadline = parseSeconds(spec(snapshot).get("failureDeadline"), 300);
            steps.schedule(() -> step("snapshot deadline", () -> {
                Map<String, Object> failed = new LinkedHashMap<>(progressing);
                failed.put("phase", "Failed");
                failed.put("error", Map.of("message", "snapshot deadline exceeded", "time", Instant.now().toString()));
                failed.put("conditions", List.of(condition("Progressing", "False", "snapshot deadline exceeded", ""),
                        condition("Ready", "False", "snapshot deadline exceeded", ""),
                        condition("Failure", "True", "snapshot deadline exceeded", "")));
                StatusWriter.status(client, KubeVirt.VM_SNAPSHOT, ns, name, failed);
                StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, ns, vmName, "snapshotInProgress", null);
            }), deadline, TimeUnit.SECONDS);
            return;
        }
        steps.schedule(() -> step("snapshot " + name + " ready", () -> {
            String at = Instant.now().toString();
            List<Map<String, Object>> ready = new ArrayList<>();
            for (Map<String, Object> backup : backups) {
                String vs = String.valueOf(backup.get("volumeSnapshotName"));
                Map<String, Object> cut = new LinkedHashMap<>(Map.of("readyToUse", true, "creationTime", at));
                if (restoreSizes.get(vs) != null) {
                    cut.put("restoreSize", restoreSizes.get(vs));
                }
                StatusWriter.status(client, KubeVirt.VOLUME_SNAPSHOT, ns, vs, cut);
                ready.add(Map.of("volumeSnapshotName", vs, "readyToUse", true, "creationTime", at));
            }
            StatusWriter.status(client, KubeVirt.VM_SNAPSHOT_CONTENT, ns, contentName, Map.of("readyToUse", true,
                    "creationTime", at, "volumeSnapshotStatus", ready));
            Map<String, Object> done = new LinkedHashMap<>(progressing);
            done.put("phase", "Succeeded");
            done.put("readyToUse", true);
            done.put("creationTime", at);
            done.put("virtualMachineSnapshotContentName", contentName);
            done.put("snapshotVolumes", Map.of("includedVolumes", volumes, "excludedVolumes", excluded));
            done.put("conditions", List.of(condition("Progressing", "False", "Operation complete", ""),
                    condition("Ready", "True", "Operation complete", "")));
            StatusWriter.status(client, KubeVirt.VM_SNAPSHOT, ns, name, done);
            StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, ns, vmName, "snapshotInProgress", null);
        }), 3 * STEP_MS, TimeUnit.MILLISECONDS);
    }

    /** A snapshot deleted while in progress unlocks its VM (snapshot.go's source unlock). */
    private void unlockSource(GenericKubernetesResource snapshot) {
        String ns = snapshot.getMetadata().getNamespace();
        String vmName = String.valueOf(map(spec(snapshot).get("source")).get("name"));
        GenericKubernetesResource vm = get(KubeVirt.VIRTUAL_MACHINE, ns, vmName);
        if (vm != null && snapshot.getMetadata().getName().equals(map(vm.getAdditionalProperties().get("status"))
                .get("snapshotInProgress"))) {
            StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, ns, vmName, "snapshotInProgress", null);
        }
    }

    /** deletionPolicy Delete: the snapshot's content goes, and with it (their owner) its VolumeSnapshots. */
    private void deleteContent(GenericKubernetesResource snapshot) {
        String ns = snapshot.getMetadata().getNamespace();
        GenericKubernetesResource content = get(KubeVirt.VM_SNAPSHOT_CONTENT, ns, "vmsnapshot-content-"
                + snapshot.getMetadata().getUid());
        if (content == null) {
            return;
        }
        for (GenericKubernetesResource vs : KubeVirt.in(client, KubeVirt.VOLUME_SNAPSHOT, ns).list().getItems()) {
            if (ownedBy(vs, content.getMetadata().getUid())) {
                KubeVirt.in(client, KubeVirt.VOLUME_SNAPSHOT, ns).resource(vs).delete();
                SandboxDisks.deleteTree(kubevirt.disks().snapshot(ns, vs.getMetadata().getName()));
            }
        }
        content.getMetadata().setFinalizers(List.of());
        KubeVirt.in(client, KubeVirt.VM_SNAPSHOT_CONTENT, ns).resource(content).update();
        KubeVirt.in(client, KubeVirt.VM_SNAPSHOT_CONTENT, ns).withName(content.getMetadata().getName()).delete();
    }

    // --- VirtualMachineRestore ------------------------------------------------------------------------------

    /**
     * The restore controller. While the target VM runs, its targetReadinessPolicy decides: FailImmediate fails,
     * StopTarget stops the VM, WaitEventually waits, WaitGracePeriod (the default) waits five minutes from the
     * restore's creation, then fails. Then one PVC per volume backup of the snapshot's content, from its
     * VolumeSnapshot ({@code restore-<uid>-<volume>}, the recorded PVC's labels and spec, owned by the VM); the VM's
     * volumes and DataVolume templates pointed at them; complete. A PVC the driver cannot provision stays Pending,
     * and the restore waits for it ("Creating new PVCs"), as upstream's does.
     *
     * @return whether the restore is done with: complete, failed, or waiting on nothing this controller will change
     */
    private boolean restore(GenericKubernetesResource restore) {
        String ns = restore.getMetadata().getNamespace();
        String name = restore.getMetadata().getName();
        String vmName = String.valueOf(map(spec(restore).get("target")).get("name"));
        String snapshotName = String.valueOf(spec(restore).get("virtualMachineSnapshotName"));
        GenericKubernetesResource snapshot = get(KubeVirt.VM_SNAPSHOT, ns, snapshotName);
        GenericKubernetesResource vm = get(KubeVirt.VIRTUAL_MACHINE, ns, vmName);
        if (snapshot == null || vm == null || !Boolean.TRUE.equals(map(snapshot.getAdditionalProperties()
                .get("status")).get("readyToUse"))) {
            // doUpdateError: the error in Progressing and Ready, and the restore is tried again
            String why = snapshot == null ? "VMSnapshot " + snapshotName + " does not exist"
                    : vm == null ? "restore target " + vmName + " does not exist"
                    : "VirtualMachineSnapshot " + snapshotName + " not ready";
            restoreConditions(ns, name, condition("Progressing", "False", why, ""), condition("Ready", "False", why,
                    ""));
            return false;
        }
        if (get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmName) != null) {
            return targetNotReady(restore, vm);
        }
        String uid = restore.getMetadata().getUid();
        // UpdateRestoreInProgress: until the restore completes or is deleted the VM webhook refuses to start the VM
        StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, ns, vmName, "restoreInProgress", name);
        restoring.put(uid, List.of(ns, vmName, name));
        List<Map<String, Object>> restores = new ArrayList<>();
        Map<String, String> renamed = new LinkedHashMap<>();
        boolean pending = false;
        GenericKubernetesResource content = get(KubeVirt.VM_SNAPSHOT_CONTENT, ns, String.valueOf(map(snapshot
                .getAdditionalProperties().get("status")).get("virtualMachineSnapshotContentName")));
        for (Map<String, Object> backup : content == null ? List.<Map<String, Object>>of()
                : list(spec(content).get("volumeBackups"))) {
            String volume = String.valueOf(backup.get("volumeName"));
            String vs = String.valueOf(backup.get("volumeSnapshotName"));
            String claim = "restore-" + uid + "-" + volume;
            // the PVC as the content recorded it, its data source the VolumeSnapshot (restore.go CreateRestorePVCDef)
            Map<String, Object> recorded = map(backup.get("persistentVolumeClaim"));
            io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec spec = Serialization.jsonMapper().convertValue(
                    recorded.get("spec"), io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec.class);
            atLeastRestoreSize(spec, get(KubeVirt.VOLUME_SNAPSHOT, ns, vs));
            Map<String, String> labels = new LinkedHashMap<>();
            map(map(recorded.get("metadata")).get("labels")).forEach((k, v) -> labels.put(k, String.valueOf(v)));
            PersistentVolumeClaimBuilder restored = new PersistentVolumeClaimBuilder()
                    .withNewMetadata().withName(claim).withNamespace(ns).withLabels(labels)
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("kubevirt.io/v1")
                            .withKind("VirtualMachine").withName(vmName).withUid(vm.getMetadata().getUid())
                            .withController(true).build()).endMetadata()
                    .withNewSpecLike(spec).withNewDataSource().withApiGroup("snapshot.storage.k8s.io")
                    .withKind("VolumeSnapshot").withName(vs).endDataSource().withVolumeName(null).endSpec()
                    .withNewStatus().withPhase("Bound").withCapacity(spec.getResources().getRequests()).endStatus();
            restores.add(Map.of("volumeName", volume, "persistentVolumeClaim", claim, "volumeSnapshotName", vs));
            if (faults.contains(Fault.RESTORE_FAILS) && volume.equals("datadisk")) {
                // the CSI driver cannot create the volume from the snapshot: the claim stays Pending
                client.persistentVolumeClaims().inNamespace(ns).resource(restored.editStatus().withPhase("Pending")
                        .withCapacity(null).endStatus().build()).create();
                StatusWriter.event(client, ns, "PersistentVolumeClaim", claim, "ProvisioningFailed", "failed to "
                        + "provision volume with StorageClass \"" + EmbeddedCluster.STORAGE_CLASS + "\": rpc error: "
                        + "code = Internal desc = failed to create volume from snapshot " + vs);
                pending = true;
                continue;
            }
            if (faults.contains(Fault.RESTORE_FAILS_WFFC) && volume.equals("datadisk")) {
                // WaitForFirstConsumer: Pending until the VM's pod is scheduled, which reconcileVolumeRestores
                // accepts as done (restore.go); the provisioning fails only then (SimulatedKubeVirt)
                client.persistentVolumeClaims().inNamespace(ns).resource(restored.editStatus().withPhase("Pending")
                        .withCapacity(null).endStatus().editMetadata().addToAnnotations(WFFC_FAILS, vs).endMetadata()
                        .build()).create();
                StatusWriter.event(client, ns, "PersistentVolumeClaim", claim, "Normal", "WaitForFirstConsumer",
                        "waiting for first consumer to be created before binding");
                renamed.put(volume, claim);
                continue;
            }
            restoreVolume(ns, vmName, kubevirt.disks().snapshot(ns, vs), claim);
            client.persistentVolumeClaims().inNamespace(ns).resource(restored.build()).create();
            renamed.put(volume, claim);
        }
        if (pending) {
            // reconcileVolumeRestores: an Immediate-binding PVC still Pending keeps the restore waiting
            StatusWriter.status(client, KubeVirt.VM_RESTORE, ns, name, Map.of("complete", false, "restores", restores,
                    "conditions", List.of(condition("Progressing", "True", "Creating new PVCs", ""), condition("Ready",
                            "False", "Waiting for new PVCs", ""))));
            return true;
        }
        KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns).withName(vmName).edit(target -> {
            Map<String, Object> template = map(map(spec(target).get("template")).get("spec"));
            Map<String, String> dataVolumes = new LinkedHashMap<>();
            for (Map<String, Object> volume : list(template.get("volumes"))) {
                String claim = renamed.get(String.valueOf(volume.get("name")));
                if (claim == null) {
                    continue;
                }
                if (volume.get("dataVolume") instanceof Map<?, ?> dv) {
                    dataVolumes.put(String.valueOf(dv.get("name")), claim);
                    volume.put("dataVolume", Map.of("name", claim));
                } else {
                    volume.put("persistentVolumeClaim", Map.of("claimName", claim));
                }
            }
            for (Map<String, Object> dvTemplate : list(spec(target).get("dataVolumeTemplates"))) {
                Map<String, Object> meta = map(dvTemplate.get("metadata"));
                String to = dataVolumes.get(String.valueOf(meta.get("name")));
                if (to != null) {
                    meta.put("name", to);
                }
            }
            return target;
        });
        Map<String, Object> done = new LinkedHashMap<>();
        done.put("complete", true);
        done.put("restoreTime", Instant.now().toString());
        done.put("restores", restores);
        done.put("conditions", List.of(condition("Progressing", "False", "Operation complete", ""),
                condition("Ready", "True", "Operation complete", "")));
        steps.schedule(() -> step("restore " + name + " complete", () -> {
            doneRestore(uid);
            StatusWriter.status(client, KubeVirt.VM_RESTORE, ns, name, done);
        }), 2 * STEP_MS, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Restores that set their VM's restoreInProgress, by UID: namespace, VM, restore. */
    private final Map<String, List<String>> restoring = new java.util.concurrent.ConcurrentHashMap<>();

    /** UpdateDoneRestore: the VM's restoreInProgress is cleared, on completion or when the restore is deleted. */
    private void doneRestore(String uid) {
        List<String> of = restoring.remove(uid);
        if (of != null) {
            StatusWriter.statusField(client, KubeVirt.VIRTUAL_MACHINE, of.get(0), of.get(1), "restoreInProgress",
                    null);
        }
    }

    /** upstream's DefaultGracePeriod for a restore target to become ready. */
    private static final Duration RESTORE_GRACE = Duration.ofMinutes(5);
    /** Restores already told their target is not ready (the event is recorded once here), by UID, with when. */
    private final Map<String, Instant> waitingRestores = new java.util.concurrent.ConcurrentHashMap<>();

    /** handleVMRestoreTargetNotReady: the target VM still runs a VMI. */
    private boolean targetNotReady(GenericKubernetesResource restore, GenericKubernetesResource vm) {
        String ns = restore.getMetadata().getNamespace();
        String name = restore.getMetadata().getName();
        Instant since = waitingRestores.computeIfAbsent(restore.getMetadata().getUid(), uid -> {
            StatusWriter.event(client, ns, "VirtualMachineRestore", name, "RestoreTargetNotReady",
                    "Restore target VMI still exists");
            return Optional.ofNullable(restore.getMetadata().getCreationTimestamp()).map(Instant::parse)
                    .orElse(Instant.now());
        });
        String policy = String.valueOf(spec(restore).getOrDefault("targetReadinessPolicy", "WaitGracePeriod"));
        switch (policy) {
            case "FailImmediate" -> {
                failRestore(ns, name, "Restore target not ready");
                return true;
            }
            case "StopTarget" -> KubeVirt.in(client, KubeVirt.VIRTUAL_MACHINE, ns).withName(vm.getMetadata()
                    .getName()).edit(target -> {
                        spec(target).put("runStrategy", "Halted");
                        return target;
                    });
            case "WaitEventually" -> {
                // waits as long as it takes
            }
            default -> {
                if (Instant.now().isAfter(since.plus(RESTORE_GRACE))) {
                    failRestore(ns, name, "Restore target failed to be ready within 5m0s");
                    return true;
                }
            }
        }
        String waiting = "Waiting for target to be ready";
        restoreConditions(ns, name, condition("Progressing", "False", waiting, ""), condition("Ready", "False",
                waiting, ""));
        return false;
    }

    private void restoreConditions(String ns, String name, Map<String, Object> progressing, Map<String, Object> ready) {
        GenericKubernetesResource now = get(KubeVirt.VM_RESTORE, ns, name);
        List<Object> reasons = now == null ? List.of() : list(map(now.getAdditionalProperties().get("status"))
                .get("conditions")).stream().map(c -> c.get("reason")).toList();
        if (reasons.equals(List.of(progressing.get("reason"), ready.get("reason")))) {
            // unchanged: the controller writes a status only when it differs
            return;
        }
        StatusWriter.status(client, KubeVirt.VM_RESTORE, ns, name, Map.of("complete", false, "conditions",
                List.of(progressing, ready)));
    }

    /** A restore's terminal failure, with upstream's reasons (the message is the Failure condition's reason). */
    private void failRestore(String ns, String name, String reason) {
        StatusWriter.status(client, KubeVirt.VM_RESTORE, ns, name, Map.of("complete", false, "conditions", List.of(
                condition("Progressing", "False", "Operation failed", ""), condition("Failure", "True", reason, ""),
                condition("Ready", "False", "Operation failed", ""))));
    }

    // --- VirtualMachineInstanceMigration --------------------------------------------------------------------

    /**
     * The migration controller and virt-handler: the phases in upstream's order, a target pod on another node, a
     * pre-copy of the guest's memory, then the switch-over — the guest's processes frozen for QEMU's downtime limit —
     * and the VMI on its new node.
     */
    private void migrate(GenericKubernetesResource migration) {
        String ns = migration.getMetadata().getNamespace();
        String name = migration.getMetadata().getName();
        String vmi = String.valueOf(spec(migration).get("vmiName"));
        GenericKubernetesResource instance = get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmi);
        if (instance == null) {
            migrationPhase(ns, name, "Failed", Map.of());
            return;
        }
        Map<String, Object> status = map(instance.getAdditionalProperties().get("status"));
        String source = String.valueOf(status.getOrDefault("nodeName", "embedded-worker-0"));
        String target = source.endsWith("-0") ? "embedded-worker-1" : "embedded-worker-0";
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("migrationUid", migration.getMetadata().getUid());
        state.put("sourceNode", source);
        state.put("targetNode", target);
        state.put("targetPod", "virt-launcher-" + vmi + "-target");
        state.put("mode", "PreCopy");
        List<String> phases = List.of("Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady",
                "Running");
        Optional<QemuGuest> qemu = kubevirt.qemu(ns, vmi);
        Map<String, Object> stamps = new LinkedHashMap<>();
        long at = 0;
        for (String phase : phases) {
            steps.schedule(() -> step("migration " + name + " " + phase, () -> {
                stamps.put(phase, Instant.now().toString());
                migrationPhase(ns, name, phase, stamps);
                if (phase.equals("Running")) {
                    state.put("startTimestamp", Instant.now().toString());
                    vmiMigrationState(ns, vmi, state, null);
                }
            }), at, TimeUnit.MILLISECONDS);
            at += STEP_MS;
            if (phase.equals("PreparingTarget") && faults.contains(Fault.MIGRATION_FAILS)) {
                steps.schedule(() -> step("migration " + name + " fails", () -> {
                    failMigration(ns, name, vmi, state, stamps, "target virt-launcher pod " + state.get("targetPod")
                            + " could not attach volume datadisk: rpc error: code = FailedPrecondition desc = volume "
                            + "is attached to node " + source);
                }), at, TimeUnit.MILLISECONDS);
                return;
            }
            if (phase.equals("PreparingTarget") && qemu.isPresent()) {
                // QEMU migrates for real: the phases after this one follow what QEMU does, on a thread of their own
                steps.schedule(() -> step("migration " + name + " QEMU", () -> new Thread(() -> step("migration "
                        + name, () -> migrateQemu(ns, name, vmi, qemu.get(), state, stamps, target)),
                        "simulated-migration-" + vmi).start()), at, TimeUnit.MILLISECONDS);
                return;
            }
        }
        // the pre-copy takes a while, the switch-over freezes the guest, then it runs on the target
        long forced = 0;
        if (faults.contains(Fault.MIGRATION_PAUSE)) {
            // a known stop of the guest during the pre-copy, as QMP stop/cont does to a QEMU guest; the outside sees
            // it end over the old tunnel before the switch-over silences that
            steps.schedule(() -> step("migration " + name + " forced pause", () -> kubevirt.sandbox(ns, vmi)
                    .ifPresent(s -> s.pause(FORCED_PAUSE))), at, TimeUnit.MILLISECONDS);
            forced = FORCED_PAUSE.toMillis() + 500;
        }
        steps.schedule(() -> step("migration " + name + " switch-over", () -> {
            Optional<SandboxGuest> sandbox = kubevirt.sandbox(ns, vmi);
            // the guest stops on the source and resumes on the target: the tunnels to the source fall silent
            api.silenceTunnels(ns, vmi);
            sandbox.ifPresent(s -> s.pause(SWITCH_OVER));
            state.put("completed", true);
            state.put("endTimestamp", Instant.now().toString());
            vmiMigrationState(ns, vmi, state, target);
            stamps.put("Succeeded", Instant.now().toString());
            migrationPhase(ns, name, "Succeeded", stamps);
            LOG.info("Embedded VMI {}/{} migrated {} → {} (switch-over {} ms)", ns, vmi, source, target,
                    SWITCH_OVER.toMillis());
        }), at + 10 * STEP_MS + forced, TimeUnit.MILLISECONDS);
    }

    /**
     * virt-handler and libvirt for a QEMU guest: the target pod's QEMU started with {@code -incoming} (TargetReady
     * once it waits), QEMU's own pre-copy migration over a unix socket (Running), then the VMI on the target
     * (Succeeded) — or Failed with QEMU's error.
     */
    private void migrateQemu(String ns, String name, String vmi, QemuGuest source, Map<String, Object> state,
            Map<String, Object> stamps, String target) {
        QemuGuest incoming;
        try {
            incoming = kubevirt.migrationTarget(ns, vmi, source, String.valueOf(state.get("targetPod")));
        } catch (RuntimeException e) {
            failMigration(ns, name, vmi, state, stamps, "target virt-launcher pod " + state.get("targetPod")
                    + " failed to start the domain: " + e.getMessage());
            return;
        }
        stamps.put("TargetReady", Instant.now().toString());
        migrationPhase(ns, name, "TargetReady", stamps);
        stamps.put("Running", Instant.now().toString());
        migrationPhase(ns, name, "Running", stamps);
        state.put("startTimestamp", Instant.now().toString());
        vmiMigrationState(ns, vmi, state, null);
        QemuGuest.Migration done;
        try {
            if (faults.contains(Fault.MIGRATION_PAUSE)) {
                long paused = source.pauseFor(FORCED_PAUSE);
                LOG.info("Embedded VMI {}/{} held paused {} ms by QMP stop/cont (fault migration-pause)", ns, vmi,
                        paused);
            }
            api.migrating(ns, vmi, true);
            done = source.migrateTo(incoming, QEMU_MIGRATION_LIMIT);
        } catch (RuntimeException e) {
            api.migrating(ns, vmi, false);
            incoming.close();
            failMigration(ns, name, vmi, state, stamps, "Live migration failed. " + e.getMessage());
            return;
        }
        api.silenceTunnels(ns, vmi);
        kubevirt.migrated(ns, vmi, source, incoming);
        state.put("completed", true);
        state.put("endTimestamp", Instant.now().toString());
        vmiMigrationState(ns, vmi, state, target);
        stamps.put("Succeeded", Instant.now().toString());
        migrationPhase(ns, name, "Succeeded", stamps);
        LOG.info("Embedded VMI {}/{} migrated {} → {} by QEMU in {} ms (downtime {} ms, {} bytes of RAM sent)", ns, vmi,
                state.get("sourceNode"), target, done.totalMs(), done.downtimeMs(), done.transferredBytes());
    }

    private void failMigration(String ns, String name, String vmi, Map<String, Object> state,
            Map<String, Object> stamps, String why) {
        state.put("failed", true);
        state.put("completed", false);
        state.put("endTimestamp", Instant.now().toString());
        state.put("failureReason", why);
        vmiMigrationState(ns, vmi, state, null);
        stamps.put("Failed", Instant.now().toString());
        migrationPhase(ns, name, "Failed", stamps);
        StatusWriter.event(client, ns, "VirtualMachineInstance", vmi, "FailedMigration", why);
    }

    private void migrationPhase(String ns, String name, String phase, Map<String, Object> stamps) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", phase);
        List<Map<String, Object>> transitions = new ArrayList<>();
        stamps.forEach((p, t) -> transitions.add(Map.of("phase", p, "phaseTransitionTimestamp", t)));
        status.put("phaseTransitionTimestamps", transitions);
        StatusWriter.status(client, KubeVirt.MIGRATION, ns, name, status);
    }

    private void vmiMigrationState(String ns, String vmi, Map<String, Object> state, String node) {
        GenericKubernetesResource instance = get(KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmi);
        if (instance == null) {
            return;
        }
        Map<String, Object> status = new LinkedHashMap<>(map(instance.getAdditionalProperties().get("status")));
        status.put("migrationState", new LinkedHashMap<>(state));
        if (node != null) {
            status.put("nodeName", node);
        }
        StatusWriter.status(client, KubeVirt.VIRTUAL_MACHINE_INSTANCE, ns, vmi, status);
    }

    // --- DataVolume clone of a PVC --------------------------------------------------------------------------

    /**
     * CDI's clone of a PVC: the StorageProfile's cloneStrategy, else a snapshot clone when a VolumeSnapshotClass
     * serves the StorageClass's driver, else a host-assisted copy; the strategy is annotated on the DataVolume and
     * its PVC. A copy reports a percentage, a snapshot or CSI clone "N/A".
     */
    private boolean cloneClaim(GenericKubernetesResource dv) {
        String ns = dv.getMetadata().getNamespace();
        String name = dv.getMetadata().getName();
        String source = String.valueOf(map(map(spec(dv).get("source")).get("pvc")).get("name"));
        String storageClass = String.valueOf(map(spec(dv).get("storage")).getOrDefault("storageClassName",
                EmbeddedCluster.STORAGE_CLASS));
        PersistentVolumeClaim sourceClaim = client.persistentVolumeClaims().inNamespace(ns).withName(source).get();
        String sourceMode = sourceClaim == null ? "Filesystem" : Optional.ofNullable(sourceClaim.getSpec()
                .getVolumeMode()).orElse("Filesystem");
        String targetMode = String.valueOf(map(spec(dv).get("storage")).getOrDefault("volumeMode", sourceMode));
        // a smart clone needs the same volume mode on both sides; else CDI falls back to a host-assisted copy, and
        // says why on the target PVC and in an event (CDI doc/efficient-cloning.md)
        String fallback = targetMode.equals(sourceMode) ? null : "The volume modes of source and target are "
                + "incompatible";
        String strategy = fallback == null ? cloneStrategy(storageClass) : "copy";
        if (scheduledClones.add(dv.getMetadata().getUid())) {
            KubeVirt.in(client, KubeVirt.DATA_VOLUME, ns).withName(name).edit(d -> {
                Map<String, String> annotations = new LinkedHashMap<>(Optional.ofNullable(d.getMetadata()
                        .getAnnotations()).orElse(Map.of()));
                annotations.put(CLONE_TYPE, strategy);
                d.getMetadata().setAnnotations(annotations);
                return d;
            });
            StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, name, Map.of("phase", "CloneScheduled", "progress",
                    "N/A"));
        }
        // IsSourceClaimReady (CDI pkg/controller/clone/common.go): no clone of any kind starts while a pod mounts
        // the source; each such pod is named in a CloneSourceInUse warning, and the clone is requeued
        List<String> users = client.pods().inNamespace(ns).list().getItems().stream()
                .filter(pod -> !List.of("Succeeded", "Failed").contains(Optional.ofNullable(pod.getStatus())
                        .map(st -> st.getPhase()).orElse("")))
                .filter(pod -> Optional.ofNullable(pod.getSpec().getVolumes()).orElse(List.of()).stream()
                        .anyMatch(v -> v.getPersistentVolumeClaim() != null
                                && source.equals(v.getPersistentVolumeClaim().getClaimName())))
                .map(pod -> pod.getMetadata().getName()).toList();
        if (!users.isEmpty()) {
            for (String pod : users) {
                if (sourceInUse.add(dv.getMetadata().getUid() + "/" + pod)) {
                    StatusWriter.event(client, ns, "DataVolume", name, "CloneSourceInUse", "pod " + ns + "/" + pod
                            + " using PersistentVolumeClaim " + source);
                }
            }
            return false;
        }
        steps.schedule(() -> step("clone " + name, () -> {
            if (faults.contains(Fault.CLONE_FAILS)) {
                String why = "Clone from source PVC " + ns + "/" + source + " failed: rpc error: code = Internal desc "
                        + "= failed to create volume from source volume";
                StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, name, Map.of("phase", "Failed", "progress", "N/A", "conditions",
                        List.of(condition("Running", "False", "Error", why), condition("Ready", "False", "Error",
                                why))));
                StatusWriter.event(client, ns, "DataVolume", name, "CloneFailed", why);
                return;
            }
            StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, name, Map.of("phase", "CloneInProgress", "progress",
                    strategy.equals("copy") ? "50.00%" : "N/A"));
            copyClaim(ns, source, kubevirt.disks().claim(ns, name));
            PersistentVolumeClaim from = client.persistentVolumeClaims().inNamespace(ns).withName(source).get();
            Map<String, String> labels = Optional.ofNullable(get(KubeVirt.DATA_VOLUME, ns, name))
                    .map(d -> d.getMetadata().getLabels()).orElse(Map.of());
            PersistentVolumeClaimBuilder claim = new PersistentVolumeClaimBuilder().withNewMetadata().withName(name)
                    .withNamespace(ns).withLabels(labels).addToAnnotations(CLONE_TYPE, strategy)
                    .addToAnnotations("cdi.kubevirt.io/clonePhase", "Succeeded").endMetadata();
            if (fallback != null) {
                claim.editMetadata().addToAnnotations(CLONE_FALLBACK, fallback).endMetadata();
                StatusWriter.event(client, ns, "PersistentVolumeClaim", name, "IncompatibleVolumeModes", fallback);
            }
            if (from != null) {
                claim.withNewSpecLike(from.getSpec()).withStorageClassName(storageClass).withVolumeName(null)
                        .withVolumeMode(targetMode).endSpec();
            }
            client.persistentVolumeClaims().inNamespace(ns).resource(claim.withNewStatus().withPhase("Bound")
                    .endStatus().build()).create();
            steps.schedule(() -> step("clone " + name + " done", () -> StatusWriter.status(client, KubeVirt.DATA_VOLUME, ns, name,
                    Map.of("phase", "Succeeded", "progress", "100.0%", "conditions", List.of(condition("Ready", "True",
                            "", ""), condition("Bound", "True", "Bound", "PVC " + name + " Bound"))))),
                    STEP_MS, TimeUnit.MILLISECONDS);
        }), 2 * STEP_MS, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Clones already annotated and scheduled, by UID; (clone UID/pod) pairs already warned of. */
    private final java.util.Set<String> scheduledClones = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> sourceInUse = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private String cloneStrategy(String storageClass) {
        GenericKubernetesResource profile = client.genericKubernetesResources(KubeVirt.STORAGE_PROFILE)
                .withName(storageClass).get();
        Object set = profile == null ? null : map(profile.getAdditionalProperties().get("status")).get("cloneStrategy");
        if (set != null) {
            return set.toString();
        }
        io.fabric8.kubernetes.api.model.storage.StorageClass sc = client.storage().v1().storageClasses()
                .withName(storageClass).get();
        boolean snapshots = sc != null && client.genericKubernetesResources(KubeVirt.VOLUME_SNAPSHOT_CLASS).list()
                .getItems().stream().anyMatch(c -> sc.getProvisioner().equals(c.getAdditionalProperties()
                        .get("driver")));
        return snapshots ? "snapshot" : "copy";
    }

    // --- expansion ------------------------------------------------------------------------------------------

    /**
     * The CSI resizer and, for a volume in use, virt-handler: Resizing, then the new capacity, and the guest's disk
     * grows (KubeVirt's ExpandDisks). A refused resize shows as upstream's ControllerResizeError condition and
     * ControllerResizeInfeasible.
     */
    private void resize(PersistentVolumeClaim pvc) {
        String ns = pvc.getMetadata().getNamespace();
        String name = pvc.getMetadata().getName();
        Quantity wanted = pvc.getSpec().getResources().getRequests().get("storage");
        if (faults.contains(Fault.EXPANSION_REFUSED)) {
            String why = "resize volume \"pvc-" + pvc.getMetadata().getUid() + "\" by resizer \"sandbox.vmbench.dev\" "
                    + "failed: rpc error: code = OutOfRange desc = requested size exceeds the pool's free space";
            claimStatus(ns, name, s -> {
                s.setConditions(List.of(pvcCondition("ControllerResizeError", why)));
                s.setAllocatedResourceStatuses(Map.of("storage", "ControllerResizeInfeasible"));
            });
            StatusWriter.event(client, ns, "PersistentVolumeClaim", name, "VolumeResizeFailed", why);
            return;
        }
        claimStatus(ns, name, s -> s.setConditions(List.of(pvcCondition("Resizing", ""))));
        steps.schedule(() -> step("resize " + name + " done", () -> {
            claimStatus(ns, name, s -> {
                s.setConditions(List.of());
                Map<String, Quantity> capacity = new LinkedHashMap<>();
                capacity.put("storage", wanted);
                s.setCapacity(capacity);
            });
            long bytes = Quantity.getAmountInBytes(wanted).longValueExact();
            if (faults.contains(Fault.FEATURE_GATES_OFF)) {
                // without ExpandDisks virt-handler leaves a running guest's disk as it booted
                return;
            }
            Optional<java.nio.file.Path> image = kubevirt.qemuImage(ns, name);
            Optional<QemuGuest> running = image.flatMap(kubevirt::qemuWith);
            if (running.isPresent()) {
                running.get().resize(image.get(), bytes);
                return;
            }
            try {
                Optional<SandboxGuest> attached = kubevirt.sandboxWithClaim(ns, name);
                if (attached.isPresent()) {
                    SandboxDisks.resize(SandboxGuest.dataDisk(attached.get().root()), bytes);
                }
            } catch (IOException e) {
                LOG.warn("Cannot grow the sandbox disk of {}/{}: {}", ns, name, e.getMessage());
            }
        }), 2 * STEP_MS, TimeUnit.MILLISECONDS);
    }

    private void claimStatus(String ns, String name, Consumer<io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus> change) {
        PersistentVolumeClaim latest = client.persistentVolumeClaims().inNamespace(ns).withName(name).get();
        if (latest == null) {
            return;
        }
        if (latest.getStatus() == null) {
            latest.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus());
        }
        change.accept(latest.getStatus());
        client.persistentVolumeClaims().inNamespace(ns).resource(latest).updateStatus();
    }

    private static PersistentVolumeClaimCondition pvcCondition(String type, String message) {
        return new PersistentVolumeClaimConditionBuilder().withType(type).withStatus("True").withMessage(message)
                .withLastTransitionTime(Instant.now().toString()).build();
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** A claim's content, whether a running sandbox has it attached or it is kept detached, copied to {@code dest}. */
    private void copyClaim(String ns, String claim, java.nio.file.Path dest) {
        if (kubevirt.qemuGuests()) {
            copyQemuVolume(ns, claim, dest);
            return;
        }
        try {
            SandboxDisks.deleteTree(dest);
            Optional<SandboxGuest> attached = kubevirt.sandboxWithClaim(ns, claim);
            if (attached.isPresent()) {
                SandboxDisks.copyLive(attached.get().root(), dest);
            } else if (java.nio.file.Files.isDirectory(kubevirt.disks().claim(ns, claim))) {
                SandboxDisks.copyTree(kubevirt.disks().claim(ns, claim), dest);
            } else {
                java.nio.file.Files.createDirectories(dest);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot copy the content of PVC " + ns + "/" + claim, e);
        }
    }

    /**
     * A QEMU guest's volume copied to {@code dest} as {@code image.raw} or {@code image.qcow2}: stopped for the copy
     * while a guest runs it. A claim no VM names (a clone) keeps its image in its own folder.
     */
    private void copyQemuVolume(String ns, String claim, java.nio.file.Path dest) {
        java.nio.file.Path from = qemuImageOf(ns, claim);
        SandboxDisks.deleteTree(dest);
        if (!java.nio.file.Files.exists(from)) {
            return;
        }
        java.nio.file.Path to = dest.resolve("image" + extension(from));
        Optional<QemuGuest> running = kubevirt.qemuWith(from);
        if (running.isPresent()) {
            running.get().copyStopped(from, to);
        } else {
            QemuGuest.copyImage(from, to);
        }
    }

    private java.nio.file.Path qemuImageOf(String ns, String claim) {
        return kubevirt.qemuImage(ns, claim).orElse(kubevirt.disks().claim(ns, claim).resolve("image.raw"));
    }

    private static String extension(java.nio.file.Path image) {
        String file = image.getFileName().toString();
        return file.substring(file.lastIndexOf('.'));
    }

    /** A VolumeSnapshot's content into the new claim of a restore: the sandbox's files, or the QEMU disk image. */
    private void restoreVolume(String ns, String vm, java.nio.file.Path snapshot, String claim) {
        try {
            if (kubevirt.qemuGuests()) {
                for (String ext : List.of(".raw", ".qcow2")) {
                    if (java.nio.file.Files.exists(snapshot.resolve("image" + ext))) {
                        QemuGuest.copyImage(snapshot.resolve("image" + ext), kubevirt.vmFolder(ns, vm)
                                .resolve(claim + ext));
                    }
                }
                return;
            }
            java.nio.file.Path to = kubevirt.disks().claim(ns, claim);
            SandboxDisks.deleteTree(to);
            if (java.nio.file.Files.isDirectory(snapshot)) {
                SandboxDisks.copyTree(snapshot, to);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot restore " + snapshot + " into PVC " + ns + "/" + claim, e);
        }
    }

    private void step(String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.warn("Simulated storage operation failed a step ({}): {}", what, e.toString());
        }
    }

    private GenericKubernetesResource get(ResourceDefinitionContext type, String ns, String name) {
        return KubeVirt.in(client, type, ns).withName(name).get();
    }

    /**
     * What the CSI driver reports as the snapshot's {@code size_bytes}, which the snapshot controller writes as the
     * VolumeSnapshot's {@code restoreSize}: the volume's provisioned capacity (the request while none is reported).
     */
    private static String restoreSize(PersistentVolumeClaim pvc) {
        return Optional.ofNullable(pvc.getStatus()).map(s -> s.getCapacity()).map(c -> c.get("storage"))
                .or(() -> Optional.ofNullable(pvc.getSpec().getResources()).map(r -> r.getRequests())
                        .map(r -> r.get("storage"))).map(Quantity::toString).orElse(null);
    }

    /** The restored claim is never smaller than its snapshot's {@code restoreSize} (restore.go CreateRestorePVCDef). */
    private static void atLeastRestoreSize(io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec spec,
            GenericKubernetesResource volumeSnapshot) {
        Object size = status(volumeSnapshot).get("restoreSize");
        if (size == null || spec.getResources() == null) {
            return;
        }
        Map<String, Quantity> requests = new LinkedHashMap<>(Optional.ofNullable(spec.getResources().getRequests())
                .orElse(Map.of()));
        Quantity restoreSize = new Quantity(size.toString());
        Quantity requested = requests.get("storage");
        if (requested == null || requested.getNumericalAmount().compareTo(restoreSize.getNumericalAmount()) < 0) {
            requests.put("storage", restoreSize);
            spec.getResources().setRequests(requests);
        }
    }

    private static long parseSeconds(Object duration, long fallback) {
        if (duration == null) {
            return fallback;
        }
        try {
            return Duration.parse("PT" + duration.toString().toUpperCase(java.util.Locale.ROOT)).toSeconds();
        } catch (java.time.format.DateTimeParseException e) {
            return fallback;
        }
    }

    private static List<Map<String, Object>> volumes(GenericKubernetesResource vm) {
        return list(map(map(spec(vm).get("template")).get("spec")).get("volumes"));
    }

    private static String claimOf(Map<String, Object> volume) {
        Object claim = map(volume.get("persistentVolumeClaim")).get("claimName");
        if (claim == null) {
            claim = map(volume.get("dataVolume")).get("name");
        }
        return claim == null ? null : claim.toString();
    }

    private static boolean ownedBy(GenericKubernetesResource resource, String uid) {
        return resource.getMetadata().getOwnerReferences() != null && resource.getMetadata().getOwnerReferences()
                .stream().anyMatch(r -> uid.equals(r.getUid()));
    }





    @Override
    public void close() {
        steps.shutdownNow();
    }
}
