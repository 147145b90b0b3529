package dev.vmbench.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * The embedded cluster's stand-in for a VM: a folder that plays the guest's root file system, holding the
 * files the VM's cloud-init would write (taken from the rendered user data), and an SSH server that accepts
 * only the run's client key, presents the host key cloud-init was given, and runs commands in real bash
 * with {@code VMBENCH_ROOT} pointing at the folder.
 */
final class SandboxGuest implements EmbeddedGuest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SandboxGuest.class);

    private final String vm;
    private final Path root;
    private final SshServer server;
    private final String host;

    /** The processes of the exec requests running now: a paused guest stops them too. */
    private final java.util.Set<Process> commands;

    private SandboxGuest(String vm, Path root, SshServer server, String host, java.util.Set<Process> commands) {
        this.commands = commands;
        this.vm = vm;
        this.root = root;
        this.server = server;
        this.host = host;
    }

    /**
     * Materialises cloud-init's files under {@code root} and starts sshd on {@code host:port} (a loopback
     * address of this guest's own), or on a free port of that address if {@code port} is taken.
     */
    static SandboxGuest start(String vm, Path root, String userData, List<Fault> faults, String host, int port,
            Runnable onMeasure) {
        return start(vm, root, userData, faults, host, port, onMeasure, r -> { });
    }

    /**
     * @param attach runs once the sandbox's disks exist and before cloud-init's final stage: it attaches the data
     *               PVC's content (and size) to the sandbox, as a VM finds its disk at power-on
     */
    static SandboxGuest start(String vm, Path root, String userData, List<Fault> faults, String host, int port,
            Runnable onMeasure, IoConsumer attach) {
        java.util.concurrent.atomic.AtomicBoolean measured = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            JsonNode cloudConfig = YAML.readTree(userData);
            SandboxCloudInit.initStage(root, cloudConfig, faults);
            attach.accept(root);
            JsonNode user = cloudConfig.path("users").path(0);
            List<PublicKey> authorized = new ArrayList<>();
            for (JsonNode key : user.path("ssh_authorized_keys")) {
                authorized.add(PublicKeyEntry.parsePublicKeyEntry(key.asText())
                        .resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING));
            }
            KeyPair hostKey = faults.contains(Fault.WRONG_HOST_KEY) ? KeyUtils.generateKeyPair("ssh-ed25519", 256)
                    : hostKey(cloudConfig.path("ssh_keys").path("ed25519_private").asText());
            String userName = user.path("name").asText();
            Map<String, String> clock = faults.contains(Fault.CLOCK_SKEW) && vm.endsWith("-0") ? skewedClock(vm)
                    : Map.of();

            java.util.Set<Process> commands = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.atomic.AtomicBoolean startLost =
                    new java.util.concurrent.atomic.AtomicBoolean(!faults.contains(Fault.START_LOST));
            java.util.concurrent.atomic.AtomicBoolean dropped =
                    new java.util.concurrent.atomic.AtomicBoolean(!faults.contains(Fault.SSH_DROPS));
            SshServer server = SshServer.setUpDefaultServer();
            server.setHost(host);
            server.setPort(port);
            server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
            server.setPasswordAuthenticator(null);
            server.setKeyboardInteractiveAuthenticator(null);
            server.setPublickeyAuthenticator((name, key, session) -> name.equals(userName)
                    && authorized.stream().anyMatch(k -> KeyUtils.compareKeys(k, key)));
            server.setCommandFactory((channel, command) -> {
                if (command.contains("vmbench-guest wait") && measuring(root) && dropped.compareAndSet(false, true)) {
                    dropSoon(channel, vm);
                }
                if (command.contains("start --at") && startLost.compareAndSet(false, true)) {
                    LOG.info("Sandbox {} drops its SSH session before running [{}] (fault start-lost)", vm, command);
                    return new LostCommand();
                }
                if (command.contains("start --at") && measured.compareAndSet(false, true)) {
                    onMeasure.run();
                }
                return new BashCommand(root, command, clock, commands);
            });
            try {
                server.start();
            } catch (java.net.BindException taken) {
                LOG.warn("Port {} of {} is taken; sandbox {} listens on a free port (the direct connector will not "
                        + "reach it)", port, host, vm);
                server.setPort(0);
                server.start();
            }
            SandboxCloudInit.finalStage(vm, root, cloudConfig, faults, () -> installFio(vm, root, faults));
            return new SandboxGuest(vm, root, server, host, commands);
        } catch (IOException e) {
            throw new UncheckedIOException("Sandbox guest " + vm + " could not start in " + root, e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("Sandbox guest " + vm + " could not read its keys", e);
        }
    }

    /** Something done to a sandbox's folder that may fail on I/O. */
    interface IoConsumer {
        void accept(Path root) throws IOException;
    }

    /** Where the sandbox's data disk content is (its mount point) and the disk it is "on". */
    static Path dataDir(Path root) {
        return root.resolve("mnt/vmbench");
    }

    static Path dataDisk(Path root) {
        return root.resolve("dev/vdb");
    }

    /** The sandbox's folder. */
    Path root() {
        return root;
    }

    /**
     * Freezes every process of the guest — its job and what its SSH sessions run — for {@code pause}, then lets them
     * go on: a live migration's switch-over, during which the guest runs on neither host.
     */
    void pause(java.time.Duration pause) {
        List<ProcessHandle> processes = new ArrayList<>(runnerProcesses());
        // what the guest runs for its SSH sessions stops too: a paused VM completes nothing anyone asked of it
        commands.forEach(p -> {
            processes.add(p.toHandle());
            p.descendants().forEach(processes::add);
        });
        signal("STOP", processes);
        try {
            java.util.concurrent.locks.LockSupport.parkNanos(pause.toNanos());
        } finally {
            signal("CONT", processes);
        }
    }

    private List<ProcessHandle> runnerProcesses() {
        return runnerProcesses(root);
    }

    /** The sandbox's runner and its descendants, if the pid in its pid file is still that runner. */
    static List<ProcessHandle> runnerProcesses(Path root) {
        try {
            long pid = Long.parseLong(Files.readString(root.resolve("var/lib/vmbench/runner.pid")).trim());
            // the pid file outlives the runner: signal that pid only while it is still this sandbox's runner (its
            // command line runs this sandbox's guest script), never a process the kernel gave the number to since
            return ProcessHandle.of(pid).filter(p -> p.info().commandLine().map(c -> c.contains(root.toString()))
                    .orElse(false)).map(runner -> Stream.concat(Stream.of(runner), runner.descendants()).toList())
                    .orElse(List.of());
        } catch (IOException | NumberFormatException none) {
            return List.of();
        }
    }

    private static void signal(String signal, List<ProcessHandle> processes) {
        if (processes.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            LOG.warn("Cannot send SIG{} to sandbox processes: {}", signal, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Powers the sandbox off and moves its data disk's content to {@code store} (what the PVC keeps while no VM has it
     * attached); the rest of the sandbox goes, as a stopped VMI's does.
     */
    void powerOff(Path store) {
        try {
            server.stop(true);
        } catch (IOException ignored) {
            // stopping anyway
        }
        killRunner();
        try {
            Files.createDirectories(store);
            if (Files.isDirectory(dataDir(root))) {
                SandboxDisks.replace(dataDir(root), store.resolve("files"));
            }
            if (Files.exists(root.resolve("dev/vdb.fstype"))) {
                Files.copy(root.resolve("dev/vdb.fstype"), store.resolve("fstype"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Files.writeString(store.resolve("size"), Long.toString(Files.size(dataDisk(root))));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot keep the data disk of sandbox " + vm + " in " + store, e);
        }
        close();
    }

    @Override
    public String console() {
        // a sandbox has no serial console; say so the way a quiet console would
        return "[sandbox guest: no serial console; see the guest diagnostics]\n";
    }

    @Override
    public java.net.InetSocketAddress address() {
        return new java.net.InetSocketAddress(host, server.getPort());
    }

    /** What makes every process of the guest see a clock 3 s ahead (fault clock-skew): libfaketime, preloaded. */
    private static Map<String, String> skewedClock(String vm) {
        for (String lib : List.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1")) {
            if (Files.isRegularFile(Path.of(lib))) {
                LOG.info("Sandbox {} runs 3 s ahead of this machine's clock (fault clock-skew)", vm);
                return Map.of("LD_PRELOAD", lib, "FAKETIME", "+3s");
            }
        }
        throw new IllegalStateException("Fault clock-skew needs libfaketime to move a sandbox's clock, and it is not "
                + "installed. Fix: apt-get install -y faketime");
    }

    private static boolean measuring(Path root) {
        try {
            return Files.readString(root.resolve("var/lib/vmbench/mode")).trim().equals("measure");
        } catch (IOException e) {
            return false;
        }
    }

    /** Closes the session a moment after this command starts: fio runs on, the client must reconnect. */
    private static void dropSoon(org.apache.sshd.server.channel.ChannelSession channel, String vm) {
        Thread dropper = new Thread(() -> {
            java.util.concurrent.locks.LockSupport.parkNanos(500_000_000L);
            LOG.info("Sandbox {} drops its SSH session (fault ssh-drops)", vm);
            channel.getSession().close(true);
        }, "sandbox-drop");
        dropper.setDaemon(true);
        dropper.start();
    }

    private static void fioShim(Path root, String body) throws IOException {
        SandboxCloudInit.script(root.resolve("usr/local/bin/fio"), body + "\n");
    }

    private static KeyPair hostKey(String openSshPrivate) throws IOException, java.security.GeneralSecurityException {
        try (InputStream in = new ByteArrayInputStream(openSshPrivate.getBytes(StandardCharsets.US_ASCII))) {
            for (KeyPair pair : SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("host"), in, null)) {
                return pair;
            }
        }
        throw new IllegalStateException("cloud-init user data holds no ssh_keys.ed25519_private");
    }

    /** cloud-init's packages module: the real fio, or one that misbehaves as a fault says. */
    private static void installFio(String vm, Path root, List<Fault> faults) throws IOException {
        Files.deleteIfExists(root.resolve("usr/local/bin/fio"));
        if (faults.contains(Fault.FIO_FAILS)) {
            fioShim(root, "echo 'fio: io_u error on file vmbench.dat: Input/output error: write offset=0, "
                    + "buflen=4096' >&2\nexit 1");
        }
        if (faults.contains(Fault.FIO_HANGS)) {
            // laying the file out works; the measurement never ends
            fioShim(root, "case \" $* \" in *\" --create_only=1 \"*|*\" --version \"*) "
                    + "exec \"$(PATH=${PATH#*:} command -v fio)\" \"$@\";; esac\nexec sleep 3600");
        }
        boolean first = vm.endsWith("-0");
        if (first && faults.contains(Fault.FIO_NO_WRITES)) {
            // the guest's fio reads where its job writes: it completes no write I/O at all
            fioShim(root, "real=$(PATH=${PATH#*:} command -v fio)\ncase \" $* \" in *\" --version \"*) exec \"$real\" "
                    + "\"$@\";; esac\njob=\"${@: -1}\"\n"
                    + "sed -E 's/^(rw|readwrite)=(rand)?(rw|readwrite|write)$/\\1=\\2read/' \"$job\" > \"$job.nowrites\"\n"
                    + "exec \"$real\" \"${@:1:$#-1}\" \"$job.nowrites\"");
        }
        if (first && faults.contains(Fault.LATE_START)) {
            // launched with the others, measuring half a second after the start instant they all wait for: its
            // jobs are held 500 ms longer before their I/O (what a guest slow to get going does)
            fioShim(root, "real=$(PATH=${PATH#*:} command -v fio)\nargs=()\nfor a in \"$@\"; do case \"$a\" in\n"
                    + "  --exec_prerun=*) p=${a#--exec_prerun=}; sed 's/^sleep \"\\$d\"$/sleep \"$d\"; sleep 0.5/' \"$p\" "
                    + "> \"$p.late\"; chmod +x \"$p.late\"; args+=(\"--exec_prerun=$p.late\");;\n"
                    + "  *) args+=(\"$a\");;\nesac; done\nexec \"$real\" \"${args[@]}\"");
        }
        if (first && faults.contains(Fault.GUEST_FLOODS)) {
            // a broken image: its fio output goes on for 70 MiB, which 'vmbench-guest result' hands back whole
            fioShim(root, "real=$(PATH=${PATH#*:} command -v fio)\n\"$real\" \"$@\" || exit $?\n"
                    + "for a in \"$@\"; do case \"$a\" in --output=/dev/null) ;; --output=*) out=${a#--output=};; "
                    + "esac; done\n[ -n \"$out\" ] || exit 0\nhead -c 70M /dev/zero | tr '\\0' ' ' >> \"$out\"");
        }
        if (first && faults.contains(Fault.FIO_IO_ERRORS)) {
            // the storage fails some I/O and fio goes on past it (continue_on_error): it counts them in its JSON
            fioShim(root, "real=$(PATH=${PATH#*:} command -v fio)\n\"$real\" \"$@\" || exit $?\n"
                    + "for a in \"$@\"; do case \"$a\" in --output=/dev/null) ;; --output=*) out=${a#--output=};; "
                    + "esac; done\n[ -n \"$out\" ] || exit 0\n"
                    + "echo 'fio: io_u error on file vmbench.dat: Input/output error: write offset=8192, buflen=4096' >&2\n"
                    + "sed -i '0,/\"error\" : 0,/s//\"error\" : 0,\\n      \"total_err\" : 3,\\n      "
                    + "\"first_error\" : 5,/' \"$out\"");
        }
    }

    @Override
    public void close() {
        try {
            server.stop(true);
        } catch (IOException ignored) {
            // stopping anyway
        }
        // a VM that goes away takes its processes with it
        killRunner();
        // a background runner may still hold the test file open; best effort
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // the folder lives under target/ and goes with mvn clean
        }
    }

    private void killRunner() {
        List<ProcessHandle> processes = runnerProcesses();
        // a frozen process dies only once it may run again
        signal("CONT", processes);
        processes.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String toString() {
        return "SandboxGuest[" + vm + " sshd on " + address() + "]";
    }

    /** An exec request that never runs: the session drops the moment it arrives. */
    private static final class LostCommand implements Command {
        @Override
        public void setInputStream(InputStream in) {
        }

        @Override
        public void setOutputStream(OutputStream out) {
        }

        @Override
        public void setErrorStream(OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            channel.getSession().close(true);
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }

    /** One SSH exec request: {@code bash -c COMMAND} in the sandbox, streams pumped both ways. */
    private static final class BashCommand implements Command {
        private final Path root;
        private final String command;
        private final Map<String, String> clock;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        private final java.util.Set<Process> running;

        BashCommand(Path root, String command, Map<String, String> clock, java.util.Set<Process> running) {
            this.running = running;
            this.root = root;
            this.command = command;
            this.clock = clock;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(root.toFile());
            Map<String, String> vars = builder.environment();
            vars.put("VMBENCH_ROOT", root.toString());
            vars.put("VMBENCH_RUNNER", "process");
            vars.putAll(clock);
            vars.put("PATH", root.resolve("usr/local/bin") + ":" + vars.getOrDefault("PATH", "/usr/bin:/bin"));
            process = builder.start();
            running.add(process);
            Thread stdin = pump(in, process.getOutputStream(), true);
            Thread stdout = pump(process.getInputStream(), out, false);
            Thread stderr = pump(process.getErrorStream(), err, false);
            Thread waiter = new Thread(() -> {
                try {
                    int code = process.waitFor();
                    running.remove(process);
                    stdout.join();
                    stderr.join();
                    stdin.interrupt();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "sandbox-exit");
            waiter.setDaemon(true);
            waiter.start();
        }

        private static Thread pump(InputStream from, OutputStream to, boolean closeTarget) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = from.read(buffer)) >= 0) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException ignored) {
                    // the other side went away
                } finally {
                    if (closeTarget) {
                        try {
                            to.close();
                        } catch (IOException ignored) {
                            // closed already
                        }
                    }
                }
            }, "sandbox-pump");
            t.setDaemon(true);
            t.start();
            return t;
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }
    }
}
