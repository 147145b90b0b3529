package dev.vmbench.embedded;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real VM for the embedded cluster: QEMU (software emulation) booting the {@link GuestImage}, set up the way
 * virt-launcher sets up a VMI's domain — root disk a copy-on-write overlay of the image (the "clone"), data disk a
 * raw file of the PVC's size on virtio-blk with the VMI's serial, {@code cache=none} and {@code aio=native} (a
 * Block PVC), a NoCloud ISO with volume id {@code cidata} made by {@code xorrisofs} from the VM's cloud-init Secret,
 * the disks in the VMI's order, user-mode networking with the guest's port 22 forwarded to the VMI's address, and
 * the serial console written to a log, as {@code logSerialConsole} does. What libvirt does to a running domain for
 * KubeVirt's storage operations goes over {@link Qmp}: stop and continue around a disk image's copy, {@code
 * block_resize}, and a live migration to a second QEMU started with {@code -incoming}.
 */
final class QemuGuest implements EmbeddedGuest {

    private static final Logger LOG = LoggerFactory.getLogger(QemuGuest.class);

    /** One disk of the VMI, in its order. {@code file} is null for a volume this guest does not get. */
    record Disk(String name, String serial, boolean dedicatedIoThread, Path file, String format, boolean block,
            boolean readOnly) {
    }

    /** libvirt's "unlimited" migration bandwidth (KubeVirt's default bandwidthPerMigration 0), in bytes/s. */
    private static final long UNLIMITED_BANDWIDTH = (Long.MAX_VALUE >> 20) << 20;
    /** QEMU's default downtime limit, which KubeVirt leaves as it is. */
    static final long SWITCH_OVER_LIMIT_MS = 300;

    private final Domain domain;
    /** "" for the VMI's first QEMU, ".<pod>" for a migration target's: its console, log and command line. */
    private final String suffix;
    private final Process qemu;
    private final InetSocketAddress address;
    private final Path sockets;

    private QemuGuest(Domain domain, String suffix, Process qemu, InetSocketAddress address, Path sockets) {
        this.domain = domain;
        this.suffix = suffix;
        this.qemu = qemu;
        this.address = address;
        this.sockets = sockets;
    }

    /**
     * The overlay a DataVolume clone of the image becomes, of the DataVolume's size (never smaller than the image):
     * the image stays untouched, the guest writes here.
     */
    static Path cloneRootDisk(GuestImage image, Path file, long requestedBytes) {
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b",
                image.rootDisk().toString(), "-F", "qcow2", file.toString()));
        if (requestedBytes > image.virtualSize()) {
            command.add(String.valueOf(requestedBytes));
        }
        run(command, "create the root disk overlay");
        return file;
    }

    /** A PVC's storage: a sparse raw file of its size (grown when the PVC grew), kept across guest restarts. */
    static Path claimFile(Path file, long bytes) {
        try {
            Files.createDirectories(file.getParent());
            // a volume that grew while detached is larger at the next attach
            if (!Files.exists(file) || Files.size(file) < bytes) {
                try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(bytes);
                }
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the embedded PVC file " + file, e);
        }
    }

    /**
     * The NoCloud disk KubeVirt builds for a VMI: {@code meta-data} (JSON with instance-id and local-hostname) and
     * {@code user-data} in an ISO 9660 image labelled {@code cidata}, made with the same xorrisofs options.
     */
    static Path noCloudIso(Path dir, String userData, String instanceId, String hostname) {
        try {
            Path staging = Files.createDirectories(dir.resolve("cloud-init-staging"));
            Files.writeString(staging.resolve("meta-data"), "{\"instance-id\":\"" + instanceId
                    + "\",\"local-hostname\":\"" + hostname + "\"}");
            Files.writeString(staging.resolve("user-data"), userData);
            Path iso = dir.resolve("noCloud.iso");
            run(List.of("xorrisofs", "-output", iso.toString(), "-volid", "cidata", "-joliet", "-rock",
                    "-partition_cyl_align", "on", staging.toString()), "build the cloud-init NoCloud ISO");
            // the user data holds the guest's host key: only the guest's own disk keeps it
            Files.delete(staging.resolve("user-data"));
            Files.delete(staging.resolve("meta-data"));
            Files.delete(staging);
            return iso;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot stage the cloud-init data in " + dir, e);
        }
    }

    /** What virt-launcher makes of the VMI: the same on the source and on a live migration's target. */
    record Domain(String vm, Path dir, GuestImage image, int cpus, long memoryBytes, List<Disk> disks, int guestPort) {
        Domain {
            disks = List.copyOf(disks);
        }
    }

    /** QEMU's account of a completed live migration ({@code query-migrate}). */
    record Migration(long totalMs, long downtimeMs, long setupMs, long transferredBytes) {
    }

    /**
     * Starts QEMU. {@code onExit} receives QEMU's exit code when the process ends (0: the guest powered off),
     * unless {@link #close()} ended it or the guest migrated away.
     */
    static QemuGuest start(Domain domain, String pod, InetSocketAddress sshd, IntConsumer onExit) {
        return launch(domain, pod, sshd, onExit, false);
    }

    private static QemuGuest launch(Domain domain, String pod, InetSocketAddress sshd, IntConsumer onExit,
            boolean incoming) {
        Path sockets;
        try {
            // a unix socket's path has at most 107 bytes: the VM's folder can be longer
            sockets = Files.createTempDirectory("vmbench-qmp-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the QMP socket folder of embedded VM " + domain.vm(), e);
        }
        String suffix = incoming ? "." + pod : "";
        Path dir = domain.dir();
        List<String> args = new ArrayList<>(List.of("qemu-system-x86_64", "-name", "guest=" + domain.vm(),
                "-machine", "q35", "-accel", "tcg", "-smp", String.valueOf(domain.cpus()),
                "-m", String.valueOf(Math.max(256, domain.memoryBytes() >> 20)), "-nodefaults", "-no-user-config",
                "-display", "none", "-kernel", domain.image().kernel().toString(), "-initrd",
                domain.image().initrd().toString(), "-append", "root=/dev/vda rw console=ttyS0 quiet",
                "-serial", "file:" + dir.resolve("console" + suffix + ".log"),
                "-qmp", "unix:" + sockets.resolve("qmp.sock") + ",server=on,wait=off"));
        int thread = 0;
        for (Disk disk : domain.disks()) {
            if (disk.file() == null) {
                continue;
            }
            String id = "ua-" + disk.name();
            StringBuilder drive = new StringBuilder("file=" + disk.file() + ",if=none,id=drive-" + id + ",format="
                    + disk.format());
            if (disk.readOnly()) {
                drive.append(",readonly=on");
            } else {
                // virt-launcher: cache none where the file system supports direct I/O; native AIO for a block PVC
                drive.append(",cache=none,discard=unmap").append(disk.block() ? ",aio=native" : "");
            }
            args.add("-drive");
            args.add(drive.toString());
            StringBuilder device = new StringBuilder("virtio-blk-pci,drive=drive-" + id + ",id=" + id);
            if (disk.serial() != null) {
                device.append(",serial=").append(disk.serial());
            }
            if (disk.dedicatedIoThread()) {
                args.add("-object");
                args.add("iothread,id=iothread" + ++thread);
                device.append(",iothread=iothread").append(thread);
            }
            args.add("-device");
            args.add(device.toString());
        }
        args.addAll(List.of("-netdev", "user,id=default,hostfwd=tcp:" + sshd.getHostString() + ":" + sshd.getPort()
                + "-:" + domain.guestPort(), "-device", "virtio-net-pci,netdev=default"));
        if (incoming) {
            // the target of a live migration: the same domain, waiting for the source's state
            args.addAll(List.of("-incoming", "unix:" + sockets.resolve("migration.sock")));
        }
        try {
            Files.writeString(dir.resolve("qemu" + suffix + ".cmdline"), String.join(" ", args) + "\n");
            Process qemu = new ProcessBuilder(args).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu" + suffix + ".log").toFile()).start();
            QemuGuest guest = new QemuGuest(domain, suffix, qemu, sshd, sockets);
            qemu.onExit().thenAccept(p -> {
                guest.deleteSockets();
                if (!guest.closing) {
                    LOG.info("QEMU of embedded VM {} exited with {}: {}", domain.vm(), p.exitValue(), guest.qemuLog());
                    onExit.accept(p.exitValue());
                }
            });
            return guest;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start QEMU for embedded VM " + domain.vm(), e);
        }
    }

    private volatile boolean closing;
    private Qmp qmp;

    private synchronized Qmp qmp() {
        if (qmp == null) {
            qmp = Qmp.connect(sockets.resolve("qmp.sock"), Duration.ofSeconds(30));
        }
        return qmp;
    }

    /**
     * The target of a live migration of this guest: the same domain started with {@code -incoming} as the target
     * virt-launcher pod {@code pod} (its own console log and address), returned once its QEMU waits for the
     * source's state.
     */
    QemuGuest migrationTarget(String pod, InetSocketAddress sshd, IntConsumer onExit) {
        QemuGuest target = launch(domain, pod, sshd, onExit, true);
        try {
            String status = target.qmp().execute("query-status", Map.of()).path("status").asText();
            if (!status.equals("inmigrate")) {
                throw new IllegalStateException("the target QEMU of VM " + domain.vm() + " is " + status
                        + ", not waiting for an incoming migration");
            }
            return target;
        } catch (RuntimeException e) {
            target.close();
            throw new IllegalStateException(e.getMessage() + "; " + target.qemuLog(), e);
        }
    }

    /**
     * QEMU's own pre-copy live migration to {@code target} over a unix socket, with libvirt's default of an
     * unlimited bandwidth and QEMU's default 300 ms downtime limit; returns once QEMU reports it completed (the
     * target runs the guest, this QEMU is paused until it is closed).
     *
     * @throws IllegalStateException with QEMU's error when the migration fails or does not end within {@code within}
     */
    Migration migrateTo(QemuGuest target, Duration within) {
        qmp().execute("migrate-set-parameters", Map.of("max-bandwidth", UNLIMITED_BANDWIDTH, "downtime-limit",
                SWITCH_OVER_LIMIT_MS));
        qmp().execute("migrate", Map.of("uri", "unix:" + target.sockets.resolve("migration.sock")));
        AtomicReference<JsonNode> last = new AtomicReference<>();
        try {
            await("live migration of embedded VM " + domain.vm()).pollInSameThread().atMost(within)
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        JsonNode info = qmp().execute("query-migrate", Map.of());
                        last.set(info);
                        return List.of("completed", "failed", "cancelled").contains(info.path("status").asText());
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            qmp().execute("migrate_cancel", Map.of());
            throw new IllegalStateException("QEMU's migration did not complete within " + within.toSeconds()
                    + "s: " + last.get());
        }
        JsonNode info = last.get();
        if (!info.path("status").asText().equals("completed")) {
            throw new IllegalStateException("QEMU's migration " + info.path("status").asText() + ": "
                    + info.path("error-desc").asText("no error given"));
        }
        Migration done = new Migration(info.path("total-time").asLong(), info.path("downtime").asLong(),
                info.path("setup-time").asLong(), info.at("/ram/transferred").asLong());
        // the source is paused (postmigrate): the caller ends it once the VMI points at the target
        return done;
    }

    /**
     * Stops the guest (QMP {@code stop}) for {@code pause} and continues it: every vCPU and device halts, its clocks
     * with it. Returns how long it was stopped, from {@code stop}'s answer to {@code cont}'s, in ms.
     */
    long pauseFor(Duration pause) {
        qmp().execute("stop", Map.of());
        long stopped = System.nanoTime();
        try {
            java.util.concurrent.locks.LockSupport.parkNanos(pause.toNanos());
        } finally {
            qmp().execute("cont", Map.of());
        }
        return (System.nanoTime() - stopped) / 1_000_000;
    }

    /**
     * Copies disk image {@code image} to {@code dest} while the guest is stopped: QEMU drains and flushes its
     * disks on stop, so the copy is the point-in-time image a CSI snapshot or clone is.
     */
    void copyStopped(Path image, Path dest) {
        qmp().execute("stop", Map.of());
        try {
            copyImage(image, dest);
        } finally {
            qmp().execute("cont", Map.of());
        }
    }

    /** Whether {@code file} is one of this guest's disks. */
    boolean attaches(Path file) {
        return domain.disks().stream().anyMatch(d -> file.equals(d.file()));
    }

    /**
     * What virt-handler has libvirt do when a PVC in use grows (ExpandDisks): {@code block_resize} of the disk to
     * {@code bytes}, after the volume itself grew; the guest's virtio-blk sees the new capacity.
     */
    void resize(Path file, long bytes) {
        Disk disk = domain.disks().stream().filter(d -> file.equals(d.file())).findFirst().orElseThrow(
                () -> new IllegalArgumentException(file + " is not a disk of embedded VM " + domain.vm()));
        claimFile(file, bytes);
        qmp().execute("block_resize", Map.of("device", "drive-ua-" + disk.name(), "size", bytes));
    }

    /** A sparse copy of a disk image (holes stay holes), as a CSI driver's snapshot or clone of a volume. */
    static void copyImage(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + to.getParent(), e);
        }
        run(List.of("cp", "--sparse=always", "--reflink=auto", from.toString(), to.toString()),
                "copy disk image " + from.getFileName());
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String console() {
        try {
            return Files.readString(domain.dir().resolve("console" + suffix + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private String qemuLog() {
        try {
            return Files.readString(domain.dir().resolve("qemu" + suffix + ".log")).strip();
        } catch (IOException e) {
            return "(no qemu.log)";
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (this) {
            if (qmp != null) {
                qmp.close();
            }
        }
        qemu.destroy();
        try {
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteSockets();
        // the disks stay: they are the VM's DataVolume and PVC, which outlive a VMI
    }

    private void deleteSockets() {
        SandboxDisks.deleteTree(sockets);
    }

    @Override
    public String toString() {
        return "QemuGuest[" + domain.vm() + suffix + " sshd forwarded from " + address + ", pid " + qemu.pid() + "]";
    }

    private static void run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("Could not " + what + ": " + String.join(" ", command) + "\n" + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while trying to " + what, e);
        }
    }
}
