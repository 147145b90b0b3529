package dev.vmbench.matrix;

/**
 * One test of a group: a fio profile at one block size ({@link BlockSize#NATIVE} for profiles with fixed
 * sizes), and — in a queue-depth sweep — its own queue depth instead of the run's {@code vmbench.iodepth} (0).
 * Reads as {@code random-rw 4k} or {@code random-rw 4k qd8}.
 */
public record FioPermutation(String profile, BlockSize blockSize, int iodepth) {

    /** A permutation at the run's queue depth. */
    public FioPermutation(String profile, BlockSize blockSize) {
        this(profile, blockSize, 0);
    }

    /** The same profile and block size at queue depth {@code depth}. */
    public FioPermutation atIodepth(int depth) {
        return new FioPermutation(profile, blockSize, depth);
    }

    /** A folder-safe name: {@code random-rw-4k}, {@code random-rw-4k-qd8}. */
    public String slug() {
        return profile + "-" + blockSize + (iodepth > 0 ? "-qd" + iodepth : "");
    }

    @Override
    public String toString() {
        return profile + " " + blockSize + (iodepth > 0 ? " qd" + iodepth : "");
    }
}
