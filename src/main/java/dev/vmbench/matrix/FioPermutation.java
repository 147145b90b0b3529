package dev.vmbench.matrix;

/**
 * One test of a group: a fio profile at one block size ({@link BlockSize#NATIVE} for profiles with fixed
 * sizes). Reads as {@code random-rw 4k}.
 */
public record FioPermutation(String profile, BlockSize blockSize) {

    /** A folder-safe name: {@code random-rw-4k}. */
    public String slug() {
        return profile + "-" + blockSize;
    }

    @Override
    public String toString() {
        return profile + " " + blockSize;
    }
}
