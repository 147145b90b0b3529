package dev.vmbench.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.fio.FioMetrics;
import dev.vmbench.fio.FioOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest script, {@code templates/vmbench-guest}, run for real: bash, a sandbox root, and real fio on the
 * local disk — every verb and its failure paths.
 */
class GuestScriptTest {

    private static final Path SCRIPT = Path.of("templates/vmbench-guest").toAbsolutePath();

    @TempDir
    Path root;

    /**
     * The guest as cloud-init leaves it: the data disk's serial configured, its virtio device linked by id, and
     * mounted at the data dir in the guest's mount table (a test cannot mount, so the table is written here).
     */
    @org.junit.jupiter.api.BeforeEach
    void preparedGuest() throws IOException {
        java.nio.file.Files.createDirectories(root.resolve("etc/vmbench"));
        java.nio.file.Files.writeString(root.resolve("etc/vmbench/guest.env"), "VMBENCH_DATA_SERIAL=vmbench-data\n");
        java.nio.file.Files.createDirectories(root.resolve("dev/disk/by-id"));
        java.nio.file.Files.writeString(root.resolve("dev/vdb"), "");
        java.nio.file.Files.createSymbolicLink(root.resolve("dev/disk/by-id/virtio-vmbench-data"), Path.of("../../vdb"));
        java.nio.file.Files.createDirectories(root.resolve("mnt/vmbench"));
        java.nio.file.Files.createDirectories(root.resolve("proc/self"));
        java.nio.file.Files.writeString(root.resolve("proc/self/mounts"), "/dev/vda1 / ext4 rw 0 0\n"
                + "/dev/vdb /mnt/vmbench ext4 rw,noatime 0 0\n");
    }

    private static String job(String rw, int runtimeSeconds, String extra) {
        return "[global]\nioengine=libaio\ndirect=1\nfilename=vmbench.dat\nsize=16m\ntime_based=1\nruntime="
                + runtimeSeconds + "\n" + extra + "\n[" + rw + "]\nrw=" + rw + "\nbs=4k\niodepth=4\n"
                + "; vmbench-files: vmbench.dat\n; vmbench-file-size: 16777216\n";
    }

    private CommandResult guest(String stdin, String... args) throws IOException, InterruptedException {
        return guestWith(java.util.Map.of(), stdin, args);
    }

    private CommandResult guestWith(java.util.Map<String, String> env, String stdin, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("VMBENCH_ROOT", root.toString());
        builder.environment().put("VMBENCH_RUNNER", "process");
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("vmbench-guest returned").isTrue();
        return new CommandResult(process.exitValue(), out, err);
    }

    private static String epochIn(double seconds) {
        return String.format(Locale.ROOT, "%.3f", System.currentTimeMillis() / 1000.0 + seconds);
    }

    @Test
    void runsAJobFromInstallToResultMeasuringFromTheInstantAsked() throws Exception {
        // given
        assertThat(guest(job("randread", 1, ""), "install-job").stdout()).startsWith("installed ");
        String at = epochIn(1.5);

        // when
        CommandResult start = guest("", "start", "--at", at);
        CommandResult done = guest("", "wait", "--timeout", "60");
        CommandResult result = guest("", "result");

        // then
        assertThat(start.exitStatus()).isZero();
        assertThat(start.stdout()).startsWith("state=running");
        GuestStatus status = GuestStatus.parse(done.stdout());
        assertThat(status.succeeded()).as(done.stdout()).isTrue();
        // fio was launched at once, set itself up, and its job waited for the instant: it measured from then on
        assertThat(status.started()).isLessThan(Double.parseDouble(at));
        assertThat(status.armed()).isBetween(status.started(), Double.parseDouble(at));
        assertThat(status.measuring()).isGreaterThanOrEqualTo(Double.parseDouble(at))
                .isLessThan(Double.parseDouble(at) + 0.2);
        assertThat(status.finished()).isGreaterThan(status.measuring());
        assertThat(FioOutput.parse("sandbox", result.stdout()).metrics()).singleElement()
                .satisfies(m -> assertThat(m.iops()).isPositive())
                .extracting(FioMetrics::where).isEqualTo("sandbox randread read");
        assertThat(GuestStatus.parse(guest("", "status").stdout())).isEqualTo(status);
    }

    @Test
    void waitTimesOutWhileFioRunsAndReportsItAsATimeout() throws Exception {
        // given: a job that runs three seconds
        guest(job("randwrite", 3, ""), "install-job");
        guest("", "start");

        // when
        CommandResult early = guest("", "wait", "--timeout", "1");

        // then
        assertThat(early.exitStatus()).isEqualTo(124);
        assertThat(early.stdout()).startsWith("state=timeout exit=-");
        assertThat(guest("", "status").stdout()).startsWith("state=running");
        CommandResult refused = guest(job("randread", 1, ""), "install-job");
        assertThat(refused.exitStatus()).isEqualTo(2);
        assertThat(refused.stderr()).isEqualTo("vmbench-guest: a job is running; run 'vmbench-guest wait' before "
                + "installing another\n");
        assertThat(GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout()).succeeded()).isTrue();
    }

    @Test
    void aFailingFioIsReportedWithItsStderr() throws Exception {
        // given: an option fio rejects
        guest(job("randread", 1, "ioengine=no-such-engine"), "install-job");

        // when
        guest("", "start");
        GuestStatus status = GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout());
        CommandResult result = guest("", "result");
        CommandResult diagnose = guest("", "diagnose");

        // then
        assertThat(status.state()).isEqualTo("failed");
        assertThat(status.exit()).isNotEqualTo("0");
        assertThat(result.exitStatus()).isEqualTo(2);
        assertThat(result.stderr()).isEqualTo("vmbench-guest: no result: the job is failed; see 'vmbench-guest "
                + "diagnose'\n");
        assertThat(diagnose.stdout()).contains("== status", "state=failed", "== fio stderr", "no-such-engine");
    }

    @Test
    void prefillLaysTheTestFileOutBeforeAnyMeasurement() throws Exception {
        // given
        guest(job("randwrite", 1, "overwrite=1"), "install-job");

        // when
        guest("", "start", "--prefill");
        GuestStatus prefilled = GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout());

        // then: the whole file is allocated, and there is nothing to report yet
        assertThat(prefilled.state()).isEqualTo("prefilled");
        assertThat(java.nio.file.Files.size(root.resolve("mnt/vmbench/vmbench.dat"))).isEqualTo(16L << 20);
        assertThat(guest("", "result").stderr()).isEqualTo("vmbench-guest: no result: the job is prefilled; see "
                + "'vmbench-guest diagnose'\n");
        guest("", "start");
        assertThat(GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout()).succeeded()).isTrue();
    }

    @Test
    void aJobOfManyFilesIsLaidOutOnceForAll() throws Exception {
        // given: fio's own file per clone (no filename), as the bash suite's db-oltp has them
        String job = "[global]\nioengine=libaio\ndirect=1\nsize=4m\ntime_based=1\nruntime=1\n[pages]\nrw=randread\n"
                + "bs=4k\nnumjobs=2\n[log]\nrw=write\nbs=4k\nstonewall\n"
                + "; vmbench-files: pages.0.0 pages.1.0 log.0.0\n; vmbench-file-size: 4194304\n";
        guest(job, "install-job", "--prefill");
        assertThat(GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout()).prefilled()).isTrue();
        assertThat(root.resolve("mnt/vmbench/pages.1.0")).hasSize(4 << 20);

        // when: the same files again, and then a job that also needs one more
        GuestStatus again = GuestStatus.parse(guest(job, "install-job", "--prefill").stdout());
        java.nio.file.Files.delete(root.resolve("mnt/vmbench/log.0.0"));
        GuestStatus missingOne = GuestStatus.parse(guest(job, "install-job", "--prefill").stdout());

        // then: nothing to lay out the first time; the missing file is laid out the second
        assertThat(again.prefilled()).isTrue();
        assertThat(missingOne.running()).isTrue();
        assertThat(GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout()).prefilled()).isTrue();
        assertThat(root.resolve("mnt/vmbench/log.0.0")).hasSize(4 << 20);
    }

    @Test
    void installingWithPrefillSkipsAFileAlreadyLaidOut() throws Exception {
        // given: a first job lays the file out
        GuestStatus first = GuestStatus.parse(guest(job("randwrite", 1, "overwrite=1"), "install-job", "--prefill")
                .stdout());
        assertThat(first.running()).isTrue();
        assertThat(GuestStatus.parse(guest("", "wait", "--timeout", "60").stdout()).prefilled()).isTrue();

        // when: the next job of the same file size is installed
        GuestStatus second = GuestStatus.parse(guest(job("randread", 1, "overwrite=1"), "install-job", "--prefill")
                .stdout());

        // then: nothing is left to lay out, so it is done at once
        assertThat(second.prefilled()).isTrue();
        assertThat(guest("", "install-job", "--fast").stderr())
                .isEqualTo("vmbench-guest: install-job takes only --prefill, not [--fast]\n");
    }

    @Test
    void stopKillsAHungJob() throws Exception {
        // given: a job that would run a minute
        guest(job("randread", 60, ""), "install-job");
        guest("", "start");

        // when
        CommandResult stop = guest("", "stop");

        // then: the lock is free at once and no fio is left
        assertThat(stop.stdout()).startsWith("state=stopped");
        assertThat(guest("", "wait", "--timeout", "5").exitStatus()).isZero();
        long pid = Long.parseLong(java.nio.file.Files.readString(root.resolve("var/lib/vmbench/runner.pid")).trim());
        org.awaitility.Awaitility.await("the killed runner to exit").atMost(java.time.Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void sysinfoDescribesTheGuest() throws Exception {
        CommandResult info = guest("", "sysinfo");

        assertThat(info.exitStatus()).isZero();
        assertThat(info.stdout()).contains("kernel: ", "cpus: ", "memory-kib: ", "fio: fio-3",
                "data-dir: /mnt/vmbench", "data-device: /dev/vdb (serial vmbench-data)")
                .containsPattern("(?m)^boot-id: [0-9a-f-]{36}$");
    }

    @Test
    void aJobThatAsksForIntervalLogsGetsThemBackCompressedAndOneThatDoesNotGetsNone() throws Exception {
        // given: a job of two clones whose file ends with the log interval line
        guest(job("randread", 2, "numjobs=2") + "; vmbench-log-msec: 500\n", "install-job");
        guest("", "start");
        guest("", "wait", "--timeout", "60");

        // when
        CommandResult logs = guest("", "logs");

        // then: every clone's IOPS, bandwidth and completion-latency log, stamped in Unix time, nothing else
        assertThat(logs.exitStatus()).as(logs.stderr()).isZero();
        String text = dev.vmbench.fio.TimeSeries.gunzip("sandbox", java.util.Base64.getDecoder().decode(logs.stdout()));
        assertThat(text.lines().filter(l -> l.startsWith("== "))).containsExactly("== vm_iops.1.log",
                "== vm_iops.2.log", "== vm_bw.1.log", "== vm_bw.2.log", "== vm_clat.1.log", "== vm_clat.2.log");
        List<dev.vmbench.fio.TimeSeries.Point> points = dev.vmbench.fio.TimeSeries.parse("sandbox", text,
                java.time.Duration.ofMillis(500), java.time.Duration.ZERO);
        GuestStatus status = GuestStatus.parse(guest("", "status").stdout());
        assertThat(points).isNotEmpty().allSatisfy(p -> assertThat(p.epochSeconds())
                .isBetween(status.started(), status.finished() + 0.1));

        // and: the next job, without the line, writes and returns none
        guest(job("randread", 1, ""), "install-job");
        guest("", "start");
        guest("", "wait", "--timeout", "60");
        CommandResult none = guest("", "logs");
        assertThat(none.exitStatus()).isZero();
        assertThat(none.stdout()).isEmpty();
        assertThat(root.resolve("var/lib/vmbench/logs")).doesNotExist();
    }

    @Test
    void misuseIsRefusedWithTheRule() throws Exception {
        assertThat(guest("", "start").stderr()).isEqualTo("vmbench-guest: no job installed; run install-job first\n");
        assertThat(guest("", "install-job").stderr())
                .isEqualTo("vmbench-guest: the job on stdin is empty; pipe a fio job file into install-job\n");
        assertThat(guest("", "start", "--at", "soon").stderr())
                .isEqualTo("vmbench-guest: --at must be epoch seconds like 1700000000.25, not [soon]\n");
        assertThat(guest("", "wait", "--timeout", "1m").stderr())
                .isEqualTo("vmbench-guest: --timeout must be whole seconds, not [1m]\n");
        CommandResult unknown = guest("", "format-disk");
        assertThat(unknown.exitStatus()).isEqualTo(2);
        assertThat(unknown.stderr()).isEqualTo("vmbench-guest: unknown verb [format-disk]; use one of install-job, "
                + "start, wait, status, result, logs, stop, sysinfo, diagnose, ready, prepare-disk, integrity-write, "
                + "integrity-check, disk-size, io-probe\n");
        assertThat(guest("", "io-probe", "forever").stderr()).isEqualTo("vmbench-guest: io-probe needs a duration in "
                + "whole seconds from 1 to 3600, not [forever]\n");
        assertThat(guest("", "integrity-write", "../etc/passwd", "8").stderr()).isEqualTo("vmbench-guest: "
                + "integrity-write needs a file name of letters, digits, dots, dashes, not [../etc/passwd]\n");
        assertThat(guest("", "integrity-write", "f.bin", "8M").stderr())
                .isEqualTo("vmbench-guest: integrity-write needs a size in whole MiB, not [8M]\n");
        assertThat(guest("", "logs").stderr()).isEqualTo("vmbench-guest: no logs: the job is idle; see 'vmbench-guest "
                + "diagnose'\n");
        assertThat(guest("", "status").stdout()).isEqualTo("state=idle exit=- started=- finished=- measuring=- armed=- ended=-\n");
        assertThat(guest("", "wait").stdout()).as("nothing ran: wait returns at once")
                .isEqualTo("state=idle exit=- started=- finished=- measuring=- armed=- ended=-\n");
    }

    @Test
    void aRunnerThatNeverStartsLeavesAFailedStateTheNextJobReplaces() throws Exception {
        // given: systemd that accepts the unit but never runs it (a launcher that never came up)
        java.nio.file.Path bin = java.nio.file.Files.createDirectories(root.resolve("fake-bin"));
        java.nio.file.Path systemctl = java.nio.file.Files.writeString(bin.resolve("systemctl"), "#!/bin/bash\nexit 0\n");
        systemctl.toFile().setExecutable(true);
        java.util.Map<String, String> neverStarts = java.util.Map.of("VMBENCH_RUNNER", "systemd",
                "VMBENCH_START_TIMEOUT", "1", "PATH", bin + ":" + System.getenv("PATH"));
        guest(job("randread", 1, ""), "install-job");

        // when
        CommandResult start = guestWith(neverStarts, "", "start");

        // then: the start fails plainly, the state is not stuck in "starting", and the next job installs
        assertThat(start.exitStatus()).isEqualTo(2);
        assertThat(start.stderr()).isEqualTo("vmbench-guest: fio did not start within 1 s; see 'vmbench-guest "
                + "diagnose'\n");
        assertThat(guest("", "status").stdout()).startsWith("state=failed ");
        assertThat(guest(job("randread", 1, ""), "install-job").exitStatus()).isZero();
    }

    @Test
    void aRunnerThatDiedReadsAsLostAndTheNextJobReplacesIt() throws Exception {
        // given: a job whose runner is gone while the state still says running (killed with its launcher)
        guest(job("randread", 1, ""), "install-job");
        java.nio.file.Files.writeString(root.resolve("var/lib/vmbench/state"), "running\n");
        java.nio.file.Files.writeString(root.resolve("var/lib/vmbench/lock"), "");

        // when / then
        assertThat(guest("", "status").stdout()).startsWith("state=lost ");
        assertThat(guest("", "wait", "--timeout", "5").stdout()).startsWith("state=lost ");
        CommandResult next = guest(job("randread", 1, ""), "install-job");
        assertThat(next.exitStatus()).as(next.stderr()).isZero();
        assertThat(guest("", "status").stdout()).startsWith("state=idle ");
    }

    @Test
    void fioNeverStartsUnlessTheDataDirIsTheDataDisksMountPoint() throws Exception {
        // given: the data disk is attached but nothing is mounted at the data dir (fio would write to the root disk)
        java.nio.file.Files.writeString(root.resolve("proc/self/mounts"), "/dev/vda1 / ext4 rw 0 0\n");
        guest(job("randread", 1, ""), "install-job");

        // when
        CommandResult start = guest("", "start");

        // then
        assertThat(start.exitStatus()).isEqualTo(2);
        assertThat(start.stderr()).isEqualTo("vmbench-guest: /mnt/vmbench is not the mount point of the data disk with "
                + "serial [vmbench-data] (/dev/vdb; mounted there: nothing); fio would measure the wrong disk, so it "
                + "does not start. Fix: see 'vmbench-guest diagnose' (cloud-init's runcmd mounts it)\n");
        assertThat(guest("", "status").stdout()).startsWith("state=idle ");
    }

    @Test
    void prepareDiskWaitsForTheSerialFormatsOnceMountsAndRecordsItInFstab() throws Exception {
        // given: stand-ins for what needs a kernel (a test cannot format or mount)
        Path bin = java.nio.file.Files.createDirectories(root.resolve("fake-bin"));
        fake(bin, "mkfs.ext4", "for a; do dev=$a; done; echo ext4 > \"$dev.fstype\"; echo mkfs >> \"$VMBENCH_ROOT/mkfs.log\"");
        fake(bin, "blkid", "for a; do dev=$a; done; cat \"$dev.fstype\" 2>/dev/null || true");
        fake(bin, "mount", "echo \"/dev/vdb /mnt/vmbench ext4 rw 0 0\" >> \"$VMBENCH_ROOT/proc/self/mounts\"");
        java.nio.file.Files.writeString(root.resolve("proc/self/mounts"), "/dev/vda1 / ext4 rw 0 0\n");
        java.util.Map<String, String> env = java.util.Map.of("PATH", bin + ":" + System.getenv("PATH"));

        // when: cloud-init's runcmd prepares it, and runs again (a second boot's runcmd, or by hand)
        CommandResult first = guestWith(env, "", "prepare-disk", "vmbench-data");
        java.nio.file.Files.writeString(root.resolve("proc/self/mounts"), "/dev/vda1 / ext4 rw 0 0\n");
        CommandResult second = guestWith(env, "", "prepare-disk", "vmbench-data");

        // then
        assertThat(first.exitStatus()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("data disk [vmbench-data] /dev/vdb mounted at /mnt/vmbench\n");
        assertThat(second.exitStatus()).isZero();
        assertThat(java.nio.file.Files.readAllLines(root.resolve("mkfs.log"))).as("formatted once").hasSize(1);
        assertThat(java.nio.file.Files.readAllLines(root.resolve("etc/fstab"))).containsExactly("/dev/disk/by-id/"
                + "virtio-vmbench-data /mnt/vmbench ext4 defaults,noatime,nofail,x-systemd.device-timeout=30s 0 2");
        assertThat(guest(job("randread", 1, ""), "install-job").exitStatus()).isZero();
        assertThat(guest("", "start").exitStatus()).as("fio may start on the mounted data disk").isZero();
        guest("", "wait", "--timeout", "60");
    }

    @Test
    void aDataDiskThatNeverAppearsIsNamedBySerial() throws Exception {
        java.nio.file.Files.delete(root.resolve("dev/disk/by-id/virtio-vmbench-data"));

        CommandResult prepare = guestWith(java.util.Map.of("VMBENCH_DISK_WAIT", "1"), "", "prepare-disk",
                "vmbench-data");

        assertThat(prepare.exitStatus()).isEqualTo(2);
        assertThat(prepare.stderr()).isEqualTo("vmbench-guest: the data disk with serial [vmbench-data] did not appear "
                + "at /dev/disk/by-id/virtio-vmbench-data within 1 s. Fix: check that the data-disk PVC is bound and "
                + "attached to the VM (its disk serial must be vmbench-data)\n");
    }

    private static void fake(Path bin, String name, String body) throws IOException {
        Path file = java.nio.file.Files.writeString(bin.resolve(name), "#!/bin/bash\n" + body + "\n");
        file.toFile().setExecutable(true);
    }
}
