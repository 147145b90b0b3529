package dev.vmbench.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/** A guest image cache as a test needs it: a recipe, QEMU's tools as stand-ins on a PATH, and the cache folder. */
final class CachedImage {

    private CachedImage() {
    }

    /** A folder of executable stand-ins for the tools QEMU guests need, to be used as PATH. */
    static Path tools(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : new String[] {"qemu-system-x86_64", "qemu-img", "xorrisofs"}) {
            Files.writeString(bin.resolve(tool), "#!/bin/sh\n");
            Files.setPosixFilePermissions(bin.resolve(tool), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }

    /** Where the cache keeps the image of {@code recipe}: named by the hash of its content. */
    static Path folderOf(Path cache, Path recipe) throws IOException, GeneralSecurityException {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(recipe));
        return cache.resolve("debian-" + HexFormat.of().formatHex(digest, 0, 8));
    }
}
