package dev.vmbench.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guest's host key fails closed, against a real sshd: it is checked inside the key exchange (no session, no
 * authentication, with another key), only ssh-ed25519 is offered, and a guest whose sshd comes back with another
 * key after a while is refused on reconnect.
 */
class GuestShellTest {

    private final KeyPair pinned = generate();
    private final KeyPair impostor = generate();
    private final AtomicReference<KeyPair> presented = new AtomicReference<>(pinned);
    private final AtomicInteger authAttempts = new AtomicInteger();
    private final AtomicReference<String> offeredHostKeyTypes = new AtomicReference<>();
    private final SshIdentity identity = SshIdentity.generate();
    private SshServer server;
    private SshClient client;

    private static KeyPair generate() {
        try {
            return KeyUtils.generateKeyPair("ssh-ed25519", 256);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void sshd() throws IOException {
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(session -> List.of(presented.get()));
        server.setPublickeyAuthenticator((user, key, session) -> {
            authAttempts.incrementAndGet();
            return KeyUtils.compareKeys(key, identity.clientKey().getPublic());
        });
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.KeyEstablished) {
                    offeredHostKeyTypes.set(session.getClientKexProposals().get(KexProposalOption.SERVERKEYS));
                }
            }
        });
        server.setCommandFactory((channel, command) -> new Echo());
        server.start();
        client = GuestShell.pinnedClient();
        client.start();
    }

    @AfterEach
    void stop() throws IOException {
        client.stop();
        server.stop(true);
    }

    private GuestChannel channel() {
        return new GuestChannel() {
            @Override
            public InetSocketAddress address() {
                return new InetSocketAddress("127.0.0.1", server.getPort());
            }

            @Override
            public String lastError() {
                return "";
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void theClientReadsNothingOfTheUsersSshSetUp() {
        // no ~/.ssh/config (aliases, proxies, identities) and no ~/.ssh/id_* offered to a guest, even once started
        assertThat(client.getHostConfigEntryResolver())
                .isSameAs(org.apache.sshd.client.config.hosts.HostConfigEntryResolver.EMPTY);
        assertThat(client.getKeyIdentityProvider())
                .isSameAs(org.apache.sshd.common.keyprovider.KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    }

    @Test
    void anotherKeyIsRefusedInTheKeyExchangeBeforeAnyAuthentication() {
        presented.set(impostor);

        assertThatThrownBy(() -> GuestShell.connect(client, "vm-0", channel(), "vmbench", identity,
                pinned.getPublic(), Duration.ofSeconds(20)))
                .isInstanceOf(GuestShell.HostKeyMismatchException.class)
                .hasMessage("VM vm-0 was refused during the SSH key exchange: it presented host key "
                        + KeyUtils.getFingerPrint(impostor.getPublic()) + " but the harness gave it "
                        + KeyUtils.getFingerPrint(pinned.getPublic()) + " through cloud-init. Fix: something else "
                        + "answers on this VM's SSH port, or cloud-init did not apply the host key; see the diagnostics.");
        assertThat(authAttempts).as("the client never tried to log in to the impostor").hasValue(0);
    }

    @Test
    void onlyEd25519HostKeysAreOffered() {
        try (GuestShell shell = GuestShell.connect(client, "vm-0", channel(), "vmbench", identity, pinned.getPublic(),
                Duration.ofSeconds(20))) {
            assertThat(shell.exec("echo", "", Duration.ofSeconds(10), true).stdout()).isEqualTo("ok\n");
        }
        assertThat(offeredHostKeyTypes).hasValue("ssh-ed25519");
    }

    @Test
    void aGuestThatComesBackWithAnotherKeyIsRefusedOnReconnect() {
        try (GuestShell shell = GuestShell.connect(client, "vm-0", channel(), "vmbench", identity, pinned.getPublic(),
                Duration.ofSeconds(20))) {
            // given: a working session
            assertThat(shell.exec("echo", "", Duration.ofSeconds(10), true).stdout()).isEqualTo("ok\n");

            // when: later, the address answers with another key and the session drops
            presented.set(impostor);
            server.getActiveSessions().forEach(s -> s.close(true));

            // then: the reconnect is refused, never accepted
            assertThatThrownBy(() -> shell.exec("echo", "", Duration.ofSeconds(10), true))
                    .hasMessageContaining("was refused during the SSH key exchange: it presented host key "
                            + KeyUtils.getFingerPrint(impostor.getPublic()));
        }
    }

    @Test
    void aTunnelThatFallsSilentIsDetectedByKeepalivesAndTheCommandRunsOnANewOne() throws IOException {
        try (SilentProxy proxy = new SilentProxy(server.getPort());
                GuestShell shell = GuestShell.connect(client, "vm-0", proxy, "vmbench", identity, pinned.getPublic(),
                        Duration.ofSeconds(20))) {
            assertThat(shell.exec("echo", "", Duration.ofSeconds(10), true).stdout()).isEqualTo("ok\n");

            // when: the tunnel drops every byte from now on, and closes nothing (a migrated VMI's old pod)
            proxy.silence();

            // then: unanswered keepalives end the session well before the command's own deadline, and the command
            // runs again on a session through a new tunnel (without keepalives it would wait out its 60 s and fail)
            assertThat(shell.exec("echo", "", Duration.ofSeconds(60), true).stdout()).isEqualTo("ok\n");
            assertThat(shell.reconnects()).isEqualTo(1);
        }
    }

    @Test
    void repeatedTimeoutsNameANetworkPolicyAsTheLikelyCause() {
        assertThat(GuestShell.silentDials(2)).isEmpty();
        assertThat(GuestShell.silentDials(3)).isEqualTo(" 3 attempts timed out instead of being refused: a "
                + "NetworkPolicy in the VM's namespace that does not admit port 22 from virt-api (a default-deny "
                + "policy) is a likely cause; allow it (oc get networkpolicy -n <namespace>).");
    }

    /**
     * A TCP relay to the sshd that can fall silent: its connections so far stop relaying without being closed;
     * connections made later relay again.
     */
    private static final class SilentProxy implements GuestChannel {
        private final java.net.ServerSocket listener = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress());
        private final List<java.net.Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.Set<java.net.Socket> silenced = java.util.concurrent.ConcurrentHashMap.newKeySet();

        SilentProxy(int port) throws IOException {
            Thread accept = new Thread(() -> {
                try {
                    while (true) {
                        java.net.Socket in = listener.accept();
                        java.net.Socket out = new java.net.Socket("127.0.0.1", port);
                        open.add(in);
                        open.add(out);
                        pump(in, out);
                        pump(out, in);
                    }
                } catch (IOException closed) {
                    // the proxy is closed
                }
            }, "silent-proxy");
            accept.setDaemon(true);
            accept.start();
        }

        private void pump(java.net.Socket from, java.net.Socket to) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    int n;
                    while ((n = from.getInputStream().read(buffer)) >= 0) {
                        if (!silenced.contains(from)) {
                            to.getOutputStream().write(buffer, 0, n);
                        }
                    }
                } catch (IOException gone) {
                    // either end closed
                }
            }, "silent-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        void silence() {
            silenced.addAll(open);
        }

        @Override
        public InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", listener.getLocalPort());
        }

        @Override
        public String lastError() {
            return "";
        }

        @Override
        public void close() {
            try {
                listener.close();
                for (java.net.Socket socket : open) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Answers every command with "ok". */
    private static final class Echo implements Command {
        private OutputStream out;
        private ExitCallback exit;

        @Override
        public void setInputStream(java.io.InputStream in) {
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            out.write("ok\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            exit.onExit(0);
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }
}
