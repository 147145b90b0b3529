package dev.vmbench.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cloud-init acted out in a sandbox root, stage by stage in upstream's order (canonical/cloud-init
 * {@code config/cloud.cfg.tmpl}, {@code systemd/}): the network stage writes files, users and host keys and is
 * ordered before sshd; the final stage, after multi-user.target and so well after sshd answers, installs packages
 * (fio) and runs runcmd (the data disk's preparation), then writes {@code /run/cloud-init/result.json}. Its CLI is
 * a stand-in script for {@code cloud-init status [--wait] [--long]} with upstream's output and exit codes
 * ({@code cloudinit/cmd/status.py}: 0 done, 1 error, 2 degraded). The virtio data disk is a file with a
 * {@code /dev/disk/by-id/virtio-<serial>} link; {@code mkfs.ext4}, {@code blkid}, {@code mount} and
 * {@code systemctl} are stand-ins that keep the sandbox's mount table, because a sandbox cannot mount.
 */
final class SandboxCloudInit {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxCloudInit.class);
    /** How long the final stage lags behind sshd; with the fault cloud-init-slow, several seconds. */
    private static final long FINAL_STAGE_MS = 300;
    private static final long SLOW_FINAL_STAGE_MS = 4_000;

    private SandboxCloudInit() {
    }

    /** The network stage and what the VM has from boot: done before sshd starts. */
    static void initStage(Path root, JsonNode cloudConfig, List<Fault> faults) throws IOException {
        writeFiles(root, cloudConfig.path("write_files"));
        Files.createDirectories(root.resolve("var/lib/vmbench"));
        Files.createDirectories(root.resolve("var/log"));
        Files.createDirectories(root.resolve("run/cloud-init"));
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/self/mounts"), "/dev/vda1 / ext4 rw,relatime 0 0\n");
        Files.writeString(root.resolve("run/cloud-init/status.json"), "{\"v1\": {\"stage\": \"modules-config\", "
                + "\"datasource\": \"DataSourceNoCloud [seed=/dev/vdc]\"}}\n");
        // the data disk is attached from power-on, unless a fault says it never appears
        Files.createDirectories(root.resolve("dev/disk/by-id"));
        Files.writeString(root.resolve("dev/vdb"), "");
        // sysfs as a virtio-blk disk shows it: the block device's driver is virtio_blk
        Files.createDirectories(root.resolve("sys/bus/virtio/drivers/virtio_blk"));
        Files.createDirectories(root.resolve("sys/class/block/vdb/device"));
        Files.createSymbolicLink(root.resolve("sys/class/block/vdb/device/driver"),
                Path.of("../../../../bus/virtio/drivers/virtio_blk"));
        String serial = serial(cloudConfig);
        if (!faults.contains(Fault.DATA_DISK_MISSING) && serial != null) {
            Files.createSymbolicLink(root.resolve("dev/disk/by-id/virtio-" + serial), Path.of("../../vdb"));
        }
        Path bin = Files.createDirectories(root.resolve("usr/local/bin"));
        script(bin.resolve("cloud-init"), cloudInitCli(root));
        // fio arrives with the final stage's packages module
        script(bin.resolve("fio"), "echo 'bash: fio: command not found (cloud-init has not installed it yet)' >&2\n"
                + "exit 127\n");
        Path stand = Files.createDirectories(root.resolve("sandbox/bin"));
        script(stand.resolve("mkfs.ext4"), "for a; do dev=$a; done\necho ext4 > \"$dev.fstype\"\n");
        script(stand.resolve("blkid"), "for a; do dev=$a; done\ncat \"$dev.fstype\" 2>/dev/null || true\n");
        script(stand.resolve("mount"), "args=(); for a; do [[ $a == -* || $a == noatime ]] || args+=(\"$a\"); done\n"
                + "echo \"${args[0]#\"$VMBENCH_ROOT\"} ${args[1]#\"$VMBENCH_ROOT\"} ext4 rw,noatime 0 0\" "
                + ">> \"$VMBENCH_ROOT/proc/self/mounts\"\n");
        script(stand.resolve("systemctl"), "exit 0\n");
    }

    /**
     * The final stage, in the background after a lag: packages (fio, via {@code installFio}), then runcmd, then
     * result.json. A failing runcmd entry is cloud-init's scripts_user error.
     */
    static void finalStage(String vm, Path root, JsonNode cloudConfig, List<Fault> faults, IoAction installFio) {
        Thread stage = new Thread(() -> {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(
                    faults.contains(Fault.CLOUD_INIT_SLOW) ? SLOW_FINAL_STAGE_MS : FINAL_STAGE_MS));
            try {
                installFio.run();
                List<String> errors = new ArrayList<>();
                int failed = 0;
                int attempted = 0;
                for (JsonNode entry : cloudConfig.path("runcmd")) {
                    attempted++;
                    if (run(root, entry) != 0) {
                        failed++;
                    }
                }
                if (failed > 0) {
                    errors.add("('scripts_user', RuntimeError('Runparts: " + failed + " failures (runcmd) in "
                            + attempted + " attempted commands'))");
                }
                Files.writeString(root.resolve("run/cloud-init/errors.txt"), String.join("\n", errors));
                Files.writeString(root.resolve("run/cloud-init/status.json"), "{\"v1\": {\"stage\": null, "
                        + "\"datasource\": \"DataSourceNoCloud [seed=/dev/vdc]\", \"last_update\": \""
                        + Instant.now() + "\"}}\n");
                Files.writeString(root.resolve("run/cloud-init/result.json"), "{\"v1\": {\"datasource\": "
                        + "\"DataSourceNoCloud [seed=/dev/vdc]\", \"errors\": [" + String.join(", ", errors.stream()
                        .map(e -> "\"" + e.replace("\"", "\\\"") + "\"").toList()) + "]}}\n");
                LOG.info("Sandbox {}: cloud-init finished ({})", vm, errors.isEmpty() ? "done" : "error");
            } catch (IOException e) {
                LOG.warn("Sandbox {}: cloud-init's final stage failed: {}", vm, e.toString());
            }
        }, "sandbox-cloud-init-final");
        stage.setDaemon(true);
        stage.start();
    }

    /** One runcmd entry, with the sandbox as its root; its output goes to cloud-init-output.log. */
    private static int run(Path root, JsonNode entry) throws IOException {
        List<String> command = new ArrayList<>();
        if (entry.isArray()) {
            entry.forEach(part -> command.add(part.asText()));
        } else {
            command.addAll(List.of("sh", "-c", entry.asText()));
        }
        // an absolute program path names the guest's file, as under a chroot
        if (command.get(0).startsWith("/") && Files.exists(root.resolve(command.get(0).substring(1)))) {
            command.set(0, root.resolve(command.get(0).substring(1)).toString());
        }
        // bash finds the program on the guest's PATH (Java would look on this JVM's)
        command.addAll(0, List.of("bash", "-c", "exec \"$@\"", "runcmd"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("var/log/cloud-init-output.log")
                        .toFile()));
        builder.environment().put("VMBENCH_ROOT", root.toString());
        builder.environment().put("VMBENCH_RUNNER", "process");
        // the disk never appears when it is missing: no need to wait as long as a real guest would
        builder.environment().put("VMBENCH_DISK_WAIT", "3");
        builder.environment().put("PATH", root.resolve("usr/local/bin") + ":" + root.resolve("sandbox/bin") + ":"
                + builder.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        try {
            return builder.start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static String serial(JsonNode cloudConfig) {
        for (JsonNode file : cloudConfig.path("write_files")) {
            if (file.path("path").asText().equals("/etc/vmbench/guest.env")) {
                for (String line : file.path("content").asText().split("\n")) {
                    if (line.startsWith("VMBENCH_DATA_SERIAL=")) {
                        return line.substring("VMBENCH_DATA_SERIAL=".length()).trim();
                    }
                }
            }
        }
        return null;
    }

    /** {@code cloud-init status [--wait] [--long]}, printed and exiting as upstream's status.py does. */
    private static String cloudInitCli(Path root) {
        String run = root.resolve("run/cloud-init").toString();
        return "[[ ${1:-} == status ]] || { echo 'sandbox cloud-init acts out only: cloud-init status' >&2; exit 2; }\n"
                + "shift; wait=no; long=no\n"
                + "for a; do case $a in --wait) wait=yes;; --long) long=yes;; esac; done\n"
                + "if [[ $wait == yes ]]; then while [[ ! -e '" + run + "/result.json' ]]; do printf .; sleep 0.25; "
                + "done; fi\n"
                + "if [[ ! -e '" + run + "/result.json' ]]; then status=running; errors=''\n"
                + "else errors=$(cat '" + run + "/errors.txt' 2>/dev/null); [[ -n $errors ]] && status=error "
                + "|| status=done; fi\n"
                + "echo \"status: $status\"\n"
                + "if [[ $long == yes ]]; then\n"
                + "  echo \"extended_status: $status\"; echo 'boot_status_code: enabled-by-generator'\n"
                + "  [[ $status == running ]] || echo \"last_update: $(date -r '" + run + "/result.json')\"\n"
                + "  echo \"detail: DataSourceNoCloud [seed=/dev/vdc]\"\n"
                + "  if [[ -n $errors ]]; then printf 'errors:\\n'; while IFS= read -r e; do printf '\\t- %s\\n' "
                + "\"$e\"; done <<< \"$errors\"; else echo 'errors: []'; fi\n"
                + "  echo 'recoverable_errors: {}'\n"
                + "fi\n"
                + "[[ $status == error ]] && exit 1\nexit 0\n";
    }

    /** An executable bash script (the sandbox's stand-ins for guest programs). */
    static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/bash\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** cloud-init's write_files module. */
    static void writeFiles(Path root, JsonNode files) throws IOException {
        for (JsonNode file : files) {
            // a path of the guest's own file system, where ".." stops at "/" as in any guest: so it stays inside the
            // sandbox's folder, never beside it
            String inGuest = Path.of("/").resolve(file.path("path").asText()).normalize().toString();
            Path target = SimulatedKubelet.inside(root, inGuest, "write_files path");
            Files.createDirectories(target.getParent());
            String content = file.path("content").asText();
            byte[] bytes = "b64".equals(file.path("encoding").asText()) ? Base64.getDecoder().decode(content)
                    : content.getBytes(StandardCharsets.UTF_8);
            Files.write(target, bytes, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            String mode = file.path("permissions").asText("0644");
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                    (mode.endsWith("755") ? "rwxr-xr-x" : "rw-r--r--")));
        }
    }

    /** An action that may fail with an IOException. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }
}
