package dev.vmbench.embedded;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What a sandbox guest's data PVC holds while no sandbox has it attached, and what its VolumeSnapshots hold: a
 * folder per claim ({@code .claims/<claim>}: {@code files/} the file system's content, {@code fstype}, {@code size})
 * and per snapshot ({@code .snapshots/<name>}), beside the sandboxes of the namespace.
 */
final class SandboxDisks {

    private final Path sandboxes;

    SandboxDisks(Path sandboxes) {
        this.sandboxes = sandboxes;
    }

    Path claim(String ns, String claim) {
        return sandboxes.resolve(ns).resolve(".claims").resolve(claim);
    }

    Path snapshot(String ns, String name) {
        return sandboxes.resolve(ns).resolve(".snapshots").resolve(name);
    }

    /**
     * Attaches claim {@code claim} to a sandbox that is booting: its disk gets the claim's size, and the content the
     * claim keeps (none for a new claim, which the guest formats) appears at the mount point.
     */
    void attach(String ns, String claim, Path root, long bytes) throws IOException {
        Path store = claim(ns, claim);
        long size = Files.exists(store.resolve("size")) ? Math.max(bytes, Long.parseLong(Files.readString(
                store.resolve("size")).trim())) : bytes;
        resize(SandboxGuest.dataDisk(root), size);
        if (Files.isDirectory(store.resolve("files"))) {
            Files.createDirectories(SandboxGuest.dataDir(root).getParent());
            replace(store.resolve("files"), SandboxGuest.dataDir(root));
        }
        if (Files.exists(store.resolve("fstype"))) {
            Files.copy(store.resolve("fstype"), root.resolve("dev/vdb.fstype"), StandardCopyOption.REPLACE_EXISTING);
        }
        deleteTree(store);
    }

    /** Copies a sandbox's live data disk (content and file system type) into {@code dest}: a crash-consistent copy. */
    static void copyLive(Path root, Path dest) throws IOException {
        Files.createDirectories(dest);
        if (Files.isDirectory(SandboxGuest.dataDir(root))) {
            copyTree(SandboxGuest.dataDir(root), dest.resolve("files"));
        }
        if (Files.exists(root.resolve("dev/vdb.fstype"))) {
            Files.copy(root.resolve("dev/vdb.fstype"), dest.resolve("fstype"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(dest.resolve("size"), Long.toString(Files.size(SandboxGuest.dataDisk(root))));
    }

    /** A sparse file of {@code bytes}: the disk's size as the guest reads it. */
    static void resize(Path disk, long bytes) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(bytes);
        }
    }

    static void replace(Path from, Path to) throws IOException {
        deleteTree(to);
        Files.createDirectories(to.getParent());
        Files.move(from, to);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + dir, e);
        }
    }
}
