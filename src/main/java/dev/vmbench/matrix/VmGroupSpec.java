package dev.vmbench.matrix;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One VM group of the matrix: {@code concurrency} VMs of one {@link VmSize}, each with a data disk of
 * {@code pvcSize} from StorageClass {@code pool}. A group is provisioned once and reused by every fio
 * permutation of its class invocation.
 *
 * <p>Example: {@code new VmGroupSpec("ocs-storagecluster-ceph-rbd", VmSize.parse("medium"), "50Gi", 4)}
 * reads as {@code ocs-storagecluster-ceph-rbd medium 50Gi x4}.
 */
public record VmGroupSpec(String pool, VmSize vmSize, String pvcSize, int concurrency) {

    public VmGroupSpec {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, not [" + concurrency + "]");
        }
    }

    /** A short, stable, DNS-safe identity of the group's dimensions, e.g. {@code 3f9a1c}. */
    public String hash() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A readable folder/label name: {@code medium-50gi-x4-3f9a1c}. */
    public String slug() {
        return (vmSize.name() + "-" + pvcSize + "-x" + concurrency).toLowerCase().replaceAll("[^a-z0-9]+", "-")
                + "-" + hash();
    }

    @Override
    public String toString() {
        return pool + " " + vmSize + " " + pvcSize + " x" + concurrency;
    }
}
