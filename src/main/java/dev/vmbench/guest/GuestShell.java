package dev.vmbench.guest;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH session to one VM, kept for the whole group and re-established if it drops. The guest's host key
 * is pinned: a different key refuses the connection. Every command has a hard timeout.
 */
public final class GuestShell implements Shell {

    private static final Logger LOG = LoggerFactory.getLogger(GuestShell.class);
    private static final Duration CONNECT_ATTEMPT = Duration.ofSeconds(15);
    /** How often a keepalive is sent, and how long its answer may take. */
    static final Duration KEEPALIVE = Duration.ofSeconds(3);
    /** Unanswered keepalives after which the session is closed as lost. */
    static final int KEEPALIVE_MISSES = 3;
    /** The host key a connection must meet, handed to the key exchange with the connection itself. */
    private static final org.apache.sshd.common.AttributeRepository.AttributeKey<PublicKey> PINNED =
            new org.apache.sshd.common.AttributeRepository.AttributeKey<>();
    /** Why a connection's key exchange refused the key it was shown. */
    private static final org.apache.sshd.common.AttributeRepository.AttributeKey<String> REFUSED =
            new org.apache.sshd.common.AttributeRepository.AttributeKey<>();

    /**
     * Prepares the run's SSH client for guests: only ssh-ed25519 host keys are offered in the key exchange, and
     * every server key is checked against the key pinned for that very connection while the exchange runs — a
     * connection without a pinned key, or shown another one, is refused. There is no moment in which the client's
     * default (accept anything) verifier could answer. The user's {@code ~/.ssh/config} and {@code ~/.ssh/id_*} are
     * never read: a guest is offered the run's key alone.
     */
    public static SshClient pinnedClient() {
        SshClient client = SshClient.setUpDefaultClient();
        // nothing of the user's SSH set-up: no ~/.ssh/config (host aliases, proxies, other identities) and no
        // ~/.ssh/id_* keys offered to a guest; only the run's own key, given per session
        client.setHostConfigEntryResolver(org.apache.sshd.client.config.hosts.HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(org.apache.sshd.common.keyprovider.KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setSignatureFactories(java.util.List.of(org.apache.sshd.common.signature.BuiltinSignatures.ed25519));
        // a tunnel can fall silent without a reset (virt-api's connection to a migrated VMI's old pod): a keepalive
        // every few seconds that goes unanswered three times closes the session, so it is treated as lost
        org.apache.sshd.core.CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, KEEPALIVE);
        org.apache.sshd.core.CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, KEEPALIVE);
        org.apache.sshd.core.CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, KEEPALIVE_MISSES);
        client.setServerKeyVerifier((session, remote, presented) -> {
            PublicKey pinned = session.getConnectionContext() == null ? null
                    : session.getConnectionContext().getAttribute(PINNED);
            if (pinned != null && KeyUtils.compareKeys(pinned, presented)) {
                return true;
            }
            session.setAttribute(REFUSED, pinned == null ? "no host key was pinned for this connection"
                    : "it presented host key " + KeyUtils.getFingerPrint(presented) + " but the harness gave it "
                            + KeyUtils.getFingerPrint(pinned) + " through cloud-init");
            return false;
        });
        return client;
    }

    private final SshClient client;
    private final String vm;
    private final GuestChannel channel;
    private final String user;
    private final SshIdentity identity;
    private final PublicKey hostKey;
    private volatile ClientSession session;
    private final java.util.concurrent.atomic.AtomicInteger reconnects = new java.util.concurrent.atomic.AtomicInteger();

    private GuestShell(SshClient client, String vm, GuestChannel channel, String user, SshIdentity identity,
            PublicKey hostKey) {
        this.client = client;
        this.vm = vm;
        this.channel = channel;
        this.user = user;
        this.identity = identity;
        this.hostKey = hostKey;
    }

    /**
     * Connects through {@code channel}, retrying while the guest's sshd is not up yet, for at most
     * {@code deadline}. A wrong host key fails at once.
     *
     * @throws GuestException naming the VM, the deadline and the last reason the connection failed
     */
    public static GuestShell connect(SshClient client, String vm, GuestChannel channel, String user,
            SshIdentity identity, PublicKey hostKey, Duration deadline) {
        GuestShell shell = new GuestShell(client, vm, channel, user, identity, hostKey);
        shell.session = shell.openWithin(deadline);
        return shell;
    }

    @Override
    public String vm() {
        return vm;
    }

    private ClientSession openWithin(Duration deadline) {
        AtomicReference<String> lastFailure = new AtomicReference<>("no attempt finished");
        AtomicReference<ClientSession> opened = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger timeouts = new java.util.concurrent.atomic.AtomicInteger();
        try {
            // polled on the caller's thread: a thread per VM and call is what a group of 64 VMs cannot afford
            await("SSH to VM " + vm)
                    .pollInSameThread()
                    .atMost(deadline)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        try {
                            opened.set(openOnce());
                            return true;
                        } catch (HostKeyMismatchException e) {
                            throw e;
                        } catch (IOException | RuntimeException e) {
                            lastFailure.set(e.getMessage() + "; tunnel: " + channel.lastError());
                            if (timedOut(e.getMessage()) || timedOut(channel.lastError())) {
                                timeouts.incrementAndGet();
                            }
                            if (channel.lastError().contains("HTTP 403")) {
                                // permissions do not appear by waiting
                                throw new GuestException("SSH to VM " + vm + " is forbidden: the API server "
                                        + "refused the tunnel (" + channel.lastError() + "). Fix: grant the run's "
                                        + "identity 'get' on virtualmachineinstances/portforward in its namespace "
                                        + "(see docs/rbac.md), or choose another -Dvmbench.connector.");
                            }
                            return false;
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new GuestTimeoutException("SSH to VM " + vm + " was not ready within " + deadline.toSeconds()
                    + "s. Last failure: " + lastFailure.get() + ". Fix: check the VM's console log and that "
                    + "cloud-init finished (Diagnostics are attached)." + silentDials(timeouts.get()));
        }
        return opened.get();
    }

    private static boolean timedOut(String failure) {
        String text = String.valueOf(failure).toLowerCase(java.util.Locale.ROOT);
        return text.contains("timeout") || text.contains("timed out");
    }

    /**
     * After three or more attempts that timed out rather than were refused: virt-api dials the VMI's pod address
     * with no deadline of its own (kubevirt pkg/virt-api/rest/dialers.go), so a NetworkPolicy that drops the traffic
     * shows as silence, never as a refusal.
     */
    static String silentDials(int timeouts) {
        return timeouts < 3 ? "" : " " + timeouts + " attempts timed out instead of being refused: a NetworkPolicy "
                + "in the VM's namespace that does not admit port 22 from virt-api (a default-deny policy) is a "
                + "likely cause; allow it (oc get networkpolicy -n <namespace>).";
    }

    private ClientSession openOnce() throws IOException {
        InetSocketAddress address = channel.address();
        ClientSession s = client.connect(user, address, org.apache.sshd.common.AttributeRepository.ofKeyValuePair(
                PINNED, hostKey), null).verify(CONNECT_ATTEMPT).getSession();
        try {
            s.addPublicKeyIdentity(identity.clientKey());
            s.auth().verify(CONNECT_ATTEMPT);
            return s;
        } catch (IOException | RuntimeException e) {
            String refused = s.getAttribute(REFUSED);
            s.close(true);
            if (refused != null) {
                throw new HostKeyMismatchException("VM " + vm + " was refused during the SSH key exchange: " + refused
                        + ". Fix: something else answers on this VM's SSH port, or cloud-init did not apply the host "
                        + "key; see the diagnostics.");
            }
            throw e;
        }
    }

    /**
     * Runs {@code command} with {@code stdin} (may be empty) and waits at most {@code timeout}. If the session
     * drops, it is re-opened; an {@code idempotent} command is then run again, any other fails with
     * {@link SessionLostException} so the caller can find out what happened.
     *
     * @throws GuestTimeoutException if the command does not finish in time
     */
    @Override
    public CommandResult exec(String command, String stdin, Duration timeout, boolean idempotent) {
        ClientSession used = session;
        try {
            return execOnce(command, stdin, timeout);
        } catch (SessionLostException e) {
            reopen(used, e);
            if (!idempotent) {
                throw e;
            }
            return execOnce(command, stdin, timeout);
        }
    }

    @Override
    public int stream(String command, Duration timeout, java.util.function.Consumer<String> line) {
        ClientSession s = session;
        try {
            if (s == null || !s.isOpen()) {
                throw new SessionLostException("session closed");
            }
            try (ChannelExec exec = s.createExecChannel(command)) {
                exec.setOut(new LineStream(line));
                exec.setErr(new LineStream(ignored -> { }));
                exec.open().verify(CONNECT_ATTEMPT);
                exec.getInvertedIn().close();
                Set<ClientChannelEvent> events = exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
                if (events.contains(ClientChannelEvent.TIMEOUT)) {
                    throw new GuestTimeoutException("Command [" + command + "] on VM " + vm + " did not finish within "
                            + timeout.toSeconds() + "s");
                }
                Integer status = exec.getExitStatus();
                if (status == null) {
                    throw new SessionLostException("no exit status for [" + command + "]");
                }
                return status;
            } catch (IOException e) {
                if (!s.isOpen()) {
                    throw new SessionLostException(e.getMessage());
                }
                throw new GuestException("Command [" + command + "] on VM " + vm + " failed: " + e.getMessage(), e);
            }
        } catch (SessionLostException e) {
            reopen(s, e);
            return -1;
        }
    }

    /** Opens the session again after {@code lost} dropped, unless another caller already has. */
    private synchronized void reopen(ClientSession lost, SessionLostException why) {
        if (session != lost && session != null && session.isOpen()) {
            return;
        }
        LOG.info("SSH session to {} dropped ({}); reconnecting", vm, why.getMessage());
        reconnects.incrementAndGet();
        session = openWithin(Duration.ofMinutes(2));
    }

    /**
     * Closes the session and opens a new one through a new tunnel: after a live migration the old tunnel leads to
     * the source pod, which is gone.
     */
    @Override
    public synchronized void reconnect() {
        ClientSession old = session;
        if (old != null) {
            old.close(true);
        }
        LOG.info("SSH session to {} re-opened through a new tunnel", vm);
        reconnects.incrementAndGet();
        session = openWithin(Duration.ofMinutes(2));
    }

    /** Hands each line written to it on as it completes; a line is kept to 1 KiB, so a guest cannot fill the heap. */
    private static final class LineStream extends java.io.OutputStream {
        private static final int MAX_LINE = 1024;
        private final java.util.function.Consumer<String> line;
        private final ByteArrayOutputStream current = new ByteArrayOutputStream();

        LineStream(java.util.function.Consumer<String> line) {
            this.line = line;
        }

        @Override
        public void write(int b) {
            if (b == '\n') {
                line.accept(current.toString(StandardCharsets.UTF_8));
                current.reset();
            } else if (current.size() < MAX_LINE) {
                current.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }

    /** How many times the session had to be re-established. */
    @Override
    public int reconnects() {
        return reconnects.get();
    }

    private CommandResult execOnce(String command, String stdin, Duration timeout) {
        ClientSession s = session;
        if (s == null || !s.isOpen()) {
            throw new SessionLostException("session closed");
        }
        try (ChannelExec exec = s.createExecChannel(command)) {
            // a guest that answers without end is cut off at the limit: its channel is closed, the rest not received
            BoundedOutput out = new BoundedOutput(BoundedOutput.STDOUT_LIMIT, () -> exec.close(false));
            BoundedOutput err = new BoundedOutput(BoundedOutput.STDERR_LIMIT, () -> exec.close(false));
            exec.setOut(out);
            exec.setErr(err);
            exec.open().verify(CONNECT_ATTEMPT);
            // stdin written here and closed (EOF): setIn would start a pump thread per command
            try (java.io.OutputStream in = exec.getInvertedIn()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
                in.flush();
            }
            Set<ClientChannelEvent> events = exec.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
            if (events.contains(ClientChannelEvent.TIMEOUT)) {
                throw new GuestTimeoutException("Command [" + command + "] on VM " + vm + " did not finish within "
                        + timeout.toSeconds() + "s");
            }
            if (out.over() || err.over()) {
                throw new GuestException(BoundedOutput.tooLarge(vm, command, out.over() ? "stdout" : "stderr",
                        out.over() ? BoundedOutput.STDOUT_LIMIT : BoundedOutput.STDERR_LIMIT));
            }
            Integer status = exec.getExitStatus();
            if (status == null) {
                throw new SessionLostException("no exit status for [" + command + "]");
            }
            return new CommandResult(status, out.text(), err.text());
        } catch (IOException e) {
            if (!s.isOpen()) {
                throw new SessionLostException(e.getMessage());
            }
            throw new GuestException("Command [" + command + "] on VM " + vm + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        ClientSession s = session;
        if (s != null) {
            s.close(true);
        }
    }

    /** The SSH session is gone; the command did not run or its outcome is unknown. */
    static final class SessionLostException extends GuestException {
        SessionLostException(String message) {
            super(message);
        }
    }

    /** The guest presented a host key other than the one the harness gave it. */
    static final class HostKeyMismatchException extends GuestException {
        HostKeyMismatchException(String message) {
            super(message);
        }
    }
}
