package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
        Path built = Files.createDirectories(CachedImage.folderOf(dir.resolve("cache"), script));
        Files.writeString(built.resolve("root.qcow2"), "qcow2");
        return GuestImage.ensure(script, dir.resolve("cache"), CachedImage.tools(dir).toString(), "root");
    }
}
