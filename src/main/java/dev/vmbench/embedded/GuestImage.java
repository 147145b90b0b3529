package dev.vmbench.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debian image QEMU guests boot: a root disk (qcow2, the DataSource the embedded CDI "clones" by a
 * copy-on-write overlay), and the kernel and initrd it boots with. Built once from Debian's packages by
 * {@code src/main/guest-image/build-image.sh} and cached under a hash of that script, outside {@code target/},
 * so {@code mvn clean} keeps it and any change to the recipe builds a new one.
 */
public final class GuestImage {

    private static final Logger LOG = LoggerFactory.getLogger(GuestImage.class);
    /** mmdebstrap takes about two minutes here; a slow mirror may take several times that. */
    private static final long BUILD_TIMEOUT_MINUTES = 20;

    private final Path dir;

    private GuestImage(Path dir) {
        this.dir = dir;
    }

    Path rootDisk() {
        return dir.resolve("root.qcow2");
    }

    /** The root disk's size as the guest sees it (the file system built into it). */
    long virtualSize() {
        try {
            return Long.parseLong(Files.readString(dir.resolve("virtual-size")).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    Path kernel() {
        return dir.resolve("vmlinuz");
    }

    Path initrd() {
        return dir.resolve("initrd.img");
    }

    /** The Debian packages in the image, one {@code name version} per line. */
    public String packages() {
        try {
            return Files.readString(dir.resolve("packages.txt"));
        } catch (IOException e) {
            return "(packages.txt unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }

    /**
     * The image built by {@code script}, from the cache under {@code cacheRoot}, building it first when the
     * cache has none for this script.
     *
     * @throws IllegalStateException naming what is missing (QEMU, the builder, root) and how to get it
     */
    public static GuestImage ensure(Path script, Path cacheRoot) {
        return ensure(script, cacheRoot, System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
                System.getProperty("user.name"));
    }

    /** The same, for a process with this {@code PATH} run by {@code user}. */
    static GuestImage ensure(Path script, Path cacheRoot, String path, String user) {
        requireTools(path, "qemu-system-x86_64", "qemu-img", "xorrisofs");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("The QEMU guest image recipe [" + script.toAbsolutePath() + "] is missing. "
                    + "Fix: run from the vmbench checkout (the recipe lives in src/main/guest-image/).");
        }
        String hash = hash(script);
        Path dir = cacheRoot.resolve(hash);
        if (Files.isRegularFile(dir.resolve("root.qcow2"))) {
            return new GuestImage(dir);
        }
        try {
            Files.createDirectories(cacheRoot);
            // one build at a time, also across JVMs: a second run waits for the first one's image
            try (FileChannel channel = FileChannel.open(cacheRoot.resolve(hash + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = channel.lock()) {
                if (!Files.isRegularFile(dir.resolve("root.qcow2"))) {
                    build(script, dir, path, user);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("The QEMU guest image cache [" + cacheRoot + "] is not writable", e);
        }
        return new GuestImage(dir);
    }

    private static void build(Path script, Path dir, String path, String user) throws IOException {
        if (!"root".equals(user)) {
            throw new IllegalStateException("Building the QEMU guest image needs root (mmdebstrap builds a bootable "
                    + "root file system), and this JVM runs as [" + user + "]. Fix: build it "
                    + "once as root into the folder this run looks in: sudo bash " + script + " " + dir);
        }
        requireTools(path, "mmdebstrap", "mkfs.ext4");
        Path partial = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".partial-");
        Path log = dir.getParent().resolve(dir.getFileName() + ".build.log");
        LOG.info("Building the QEMU guest image from Debian's packages into {} (once per recipe; about 2 min; log {})",
                dir, log);
        long t0 = System.nanoTime();
        Process build = new ProcessBuilder("bash", script.toAbsolutePath().toString(), partial.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!build.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                build.destroyForcibly();
                throw new IllegalStateException("Building the QEMU guest image took over " + BUILD_TIMEOUT_MINUTES
                        + " min and was stopped; see " + log + ". Fix: check that Debian's mirror is reachable "
                        + "(VMBENCH_DEBIAN_MIRROR sets another).");
            }
        } catch (InterruptedException e) {
            build.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while building the QEMU guest image", e);
        }
        if (build.exitValue() != 0) {
            throw new IllegalStateException("Building the QEMU guest image failed (exit " + build.exitValue() + "):\n"
                    + tail(log) + "\nFix: see " + log + " (the recipe is " + script + ").");
        }
        Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("QEMU guest image built in {} s: {}", (System.nanoTime() - t0) / 1_000_000_000L, dir);
    }

    private static void requireTools(String path, String... tools) {
        List<String> missing = new ArrayList<>();
        for (String tool : tools) {
            if (!onPath(path, tool)) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("QEMU guests need " + String.join(", ", missing) + " on PATH, and it is "
                    + "not there. Fix: apt-get install -y qemu-system-x86 qemu-utils xorriso mmdebstrap (or run "
                    + "with -Dvmbench.embedded.guests=sandbox).");
        }
    }

    /** Whether this machine can boot QEMU guests at all (the image can still be missing). */
    public static boolean qemuInstalled() {
        return onPath(System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), "qemu-system-x86_64");
    }

    private static boolean onPath(String path, String tool) {
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String hash(Path script) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script));
            return "debian-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the QEMU guest image recipe " + script, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(build log unreadable: " + e.getMessage() + ")";
        }
    }
}
