package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a real guest cannot act out is refused up front, not silently ignored. */
class EmbeddedGuestsTest {

    @TempDir
    Path dir;

    @Test
    void faultsThatOnlyASandboxActsOutAreRefusedForQemuGuests() throws Exception {
        GuestImage image = cachedImage();

        assertThatThrownBy(() -> EmbeddedCluster.start(dir.resolve("vms"), "images", "fedora", 2222,
                List.of(Fault.PVC_LATE, Fault.FIO_FAILS, Fault.SSH_DROPS), Optional.empty(), Optional.of(image)))
                .hasMessage("Embedded faults [fio-fails, ssh-drops] act on sandbox guests only, and "
                        + "vmbench.embedded.guests is [qemu]: a real guest cannot be made to misbehave that way. Fix: "
                        + "drop them, or run them with -Dvmbench.embedded.guests=sandbox.");
    }

    /** An image as the cache holds it (never booted here). */
    private GuestImage cachedImage() throws Exception {
        Path script = Files.writeString(dir.resolve("build-image.sh"), "#!/bin/bash\n");
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script));
        Path built = Files.createDirectories(dir.resolve("cache/debian-" + HexFormat.of().formatHex(digest, 0, 8)));
        Files.writeString(built.resolve("root.qcow2"), "qcow2");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : new String[] {"qemu-system-x86_64", "qemu-img", "xorrisofs"}) {
            executable(bin.resolve(tool));
        }
        return GuestImage.ensure(script, dir.resolve("cache"), bin.toString(), "root");
    }

    private static void executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
