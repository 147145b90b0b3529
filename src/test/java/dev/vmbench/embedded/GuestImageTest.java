package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QEMU guests' image: found by its recipe's hash, built only as root, and every missing piece named with its fix. */
class GuestImageTest {

    @TempDir
    Path dir;

    Path script;
    Path cache;
    Path bin;

    @BeforeEach
    void recipeAndTools() throws IOException {
        script = Files.writeString(dir.resolve("build-image.sh"), "#!/bin/bash\necho recipe 1\n");
        cache = dir.resolve("cache");
        bin = CachedImage.tools(dir);
    }

    @Test
    void aMachineWithoutQemuIsToldWhatToInstall() {
        assertThatThrownBy(() -> GuestImage.ensure(script, cache, dir.resolve("empty").toString(), "root"))
                .hasMessage("QEMU guests need qemu-system-x86_64, qemu-img, xorrisofs on PATH, and it is not there. "
                        + "Fix: apt-get install -y qemu-system-x86 qemu-utils xorriso mmdebstrap (or run with "
                        + "-Dvmbench.embedded.guests=sandbox).");
    }

    @Test
    void anImageOfTheSameRecipeIsTakenFromTheCacheWithoutBuilding() throws Exception {
        // given: the cache holds an image under this recipe's hash
        Path built = Files.createDirectories(CachedImage.folderOf(cache, script));
        Files.writeString(built.resolve("root.qcow2"), "qcow2");
        Files.writeString(built.resolve("virtual-size"), "3221225472\n");

        // when: a user who could not build asks for it
        GuestImage image = GuestImage.ensure(script, cache, bin.toString(), "builder");

        // then
        assertThat(image.rootDisk()).isEqualTo(built.resolve("root.qcow2"));
        assertThat(image.virtualSize()).isEqualTo(3L << 30);
    }

    @Test
    void aChangedRecipeNeedsANewImageAndOnlyRootMayBuildIt() throws Exception {
        // given: an image of the first recipe, then the recipe changes
        Files.createDirectories(CachedImage.folderOf(cache, script));
        Files.writeString(CachedImage.folderOf(cache, script).resolve("root.qcow2"), "qcow2");
        Files.writeString(script, "#!/bin/bash\necho recipe 2\n");
        Path wanted = CachedImage.folderOf(cache, script);

        // then: the old image is not used, and a user who is not root is told how to build the new one
        assertThatThrownBy(() -> GuestImage.ensure(script, cache, bin.toString(), "builder"))
                .hasMessage("Building the QEMU guest image needs root (mmdebstrap builds a bootable root file system), "
                        + "and this JVM runs as [builder]. Fix: build it once as root into the folder this run looks "
                        + "in: sudo bash " + script + " " + wanted);
    }

    @Test
    void withoutItsRecipeNothingCanBeBuilt() {
        Path missing = dir.resolve("nowhere/build-image.sh");
        assertThatThrownBy(() -> GuestImage.ensure(missing, cache, bin.toString(), "root"))
                .hasMessage("The QEMU guest image recipe [" + missing.toAbsolutePath() + "] is missing. Fix: run from "
                        + "the vmbench checkout (the recipe lives in src/main/guest-image/).");
    }
}
