package dev.vmbench.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real VM for the embedded cluster: QEMU (software emulation) booting the {@link GuestImage}, set up the way
 * virt-launcher sets up a VMI's domain — root disk a copy-on-write overlay of the image (the "clone"), data disk a
 * raw file of the PVC's size on virtio-blk with the VMI's serial, {@code cache=none} and {@code aio=native} (a
 * Block PVC), a NoCloud ISO with volume id {@code cidata} made by {@code xorrisofs} from the VM's cloud-init Secret,
 * the disks in the VMI's order, user-mode networking with the guest's port 22 forwarded to the VMI's address, and
 * the serial console written to a log, as {@code logSerialConsole} does.
 */
final class QemuGuest implements EmbeddedGuest {

    private static final Logger LOG = LoggerFactory.getLogger(QemuGuest.class);

    /** One disk of the VMI, in its order. {@code file} is null for a volume this guest does not get. */
    record Disk(String name, String serial, boolean dedicatedIoThread, Path file, String format, boolean block,
            boolean readOnly) {
    }

    private final String vm;
    private final Path dir;
    private final Process qemu;
    private final InetSocketAddress address;

    private QemuGuest(String vm, Path dir, Process qemu, InetSocketAddress address) {
        this.vm = vm;
        this.dir = dir;
        this.qemu = qemu;
        this.address = address;
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

    /** A PVC's storage: a sparse raw file of its size, kept across guest restarts. */
    static Path claimFile(Path file, long bytes) {
        try {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
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

    /**
     * Starts QEMU. {@code onExit} receives QEMU's exit code when the process ends (0: the guest powered off),
     * unless {@link #close()} ended it.
     */
    static QemuGuest start(String vm, Path dir, GuestImage image, int cpus, long memoryBytes, List<Disk> disks,
            InetSocketAddress sshd, int guestPort, IntConsumer onExit) {
        List<String> args = new ArrayList<>(List.of("qemu-system-x86_64", "-name", "guest=" + vm,
                "-machine", "q35", "-accel", "tcg", "-smp", String.valueOf(cpus),
                "-m", String.valueOf(Math.max(256, memoryBytes >> 20)), "-nodefaults", "-no-user-config",
                "-display", "none", "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(),
                "-append", "root=/dev/vda rw console=ttyS0", "-serial", "file:" + dir.resolve("console.log")));
        int thread = 0;
        for (Disk disk : disks) {
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
                + "-:" + guestPort, "-device", "virtio-net-pci,netdev=default"));
        try {
            Files.writeString(dir.resolve("qemu.cmdline"), String.join(" ", args) + "\n");
            Process qemu = new ProcessBuilder(args).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu.log").toFile()).start();
            QemuGuest guest = new QemuGuest(vm, dir, qemu, sshd);
            qemu.onExit().thenAccept(p -> {
                if (!guest.closing) {
                    LOG.info("QEMU of embedded VM {} exited with {}: {}", vm, p.exitValue(), guest.qemuLog());
                    onExit.accept(p.exitValue());
                }
            });
            return guest;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start QEMU for embedded VM " + vm, e);
        }
    }

    private volatile boolean closing;

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String console() {
        try {
            return Files.readString(dir.resolve("console.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private String qemuLog() {
        try {
            return Files.readString(dir.resolve("qemu.log")).strip();
        } catch (IOException e) {
            return "(no qemu.log)";
        }
    }

    @Override
    public void close() {
        closing = true;
        qemu.destroy();
        try {
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the disks stay: they are the VM's DataVolume and PVC, which outlive a VMI
    }

    @Override
    public String toString() {
        return "QemuGuest[" + vm + " sshd forwarded from " + address + ", pid " + qemu.pid() + "]";
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
