package dev.vmbench.guest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;

/**
 * The run's SSH client key (ed25519, generated in memory, never written) and the host keys the harness
 * makes for each VM, so the client can pin every guest's host key instead of trusting the first one seen.
 * {@link #toString()} never shows key material.
 */
public final class SshIdentity {

    private static final String ED25519 = "ssh-ed25519";

    private final KeyPair clientKey;

    private SshIdentity(KeyPair clientKey) {
        this.clientKey = clientKey;
    }

    public static SshIdentity generate() {
        return new SshIdentity(ed25519());
    }

    /** The {@code ssh-ed25519 AAAA… vmbench} line cloud-init puts in {@code authorized_keys}. */
    public String authorizedKey() {
        return PublicKeyEntry.toString(clientKey.getPublic()) + " vmbench";
    }

    public String fingerprint() {
        return KeyUtils.getFingerPrint(clientKey.getPublic());
    }

    KeyPair clientKey() {
        return clientKey;
    }

    /**
     * Writes the client key as {@code id_ed25519} (mode 600) and {@code id_ed25519.pub} into {@code dir}, for a
     * person debugging by hand. Only on request ({@code vmbench.keepKeys}).
     */
    public void writeTo(java.nio.file.Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Path key = dir.resolve("id_ed25519");
            java.nio.file.Files.deleteIfExists(key);
            java.nio.file.Files.createFile(key, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(key)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(clientKey, "vmbench", null, out);
            }
            java.nio.file.Files.writeString(dir.resolve("id_ed25519.pub"), authorizedKey() + "\n");
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot write the SSH key to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A fresh host key for one VM. */
    public static HostKey newHostKey() {
        return new HostKey(ed25519());
    }

    private static KeyPair ed25519() {
        try {
            return KeyUtils.generateKeyPair(ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot generate an ed25519 key: is net.i2p.crypto:eddsa on the "
                    + "runtime classpath?", e);
        }
    }

    @Override
    public String toString() {
        return "SshIdentity[" + fingerprint() + "]";
    }

    /** A VM's host key: the private half goes to cloud-init only; the public half is pinned by the client. */
    public static final class HostKey {
        private final KeyPair keyPair;

        HostKey(KeyPair keyPair) {
            this.keyPair = keyPair;
        }

        public PublicKey publicKey() {
            return keyPair.getPublic();
        }

        public String openSshPublic() {
            return PublicKeyEntry.toString(keyPair.getPublic());
        }

        /** The OpenSSH private key file, line by line, for cloud-init's {@code ssh_keys}. */
        public List<String> openSshPrivateLines() {
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(keyPair, "vmbench-host", null, out);
                return out.toString(StandardCharsets.US_ASCII).lines().toList();
            } catch (Exception e) {
                throw new IllegalStateException("Cannot encode a host key in OpenSSH format", e);
            }
        }

        public String fingerprint() {
            return KeyUtils.getFingerPrint(keyPair.getPublic());
        }

        @Override
        public String toString() {
            return "HostKey[" + fingerprint() + "]";
        }
    }
}
