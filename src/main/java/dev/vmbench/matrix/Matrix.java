package dev.vmbench.matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The test plan: VM groups (StorageClass × VM size × PVC size × concurrency) and, for every group, fio
 * permutations (profile × block size, where a fixed-size profile runs once as {@code native}).
 */
public final class Matrix {

    private Matrix() {
    }

    /** Groups in the order a reviewer reads them: pool, then size, PVC, concurrency. */
    public static List<VmGroupSpec> groups(List<String> pools, List<VmSize> sizes, List<String> pvcSizes,
            List<Integer> concurrency) {
        List<VmGroupSpec> groups = new ArrayList<>();
        for (String pool : pools) {
            for (VmSize size : sizes) {
                for (String pvc : pvcSizes) {
                    for (int vms : concurrency) {
                        groups.add(new VmGroupSpec(pool, size, pvc, vms));
                    }
                }
            }
        }
        return List.copyOf(groups);
    }

    /**
     * Permutations: each profile × each block size, except that a profile for which
     * {@code takesBlockSize} is false runs once at {@link BlockSize#NATIVE}.
     */
    public static List<FioPermutation> permutations(List<String> profiles, List<BlockSize> blockSizes,
            Predicate<String> takesBlockSize) {
        List<FioPermutation> permutations = new ArrayList<>();
        for (String profile : profiles) {
            if (takesBlockSize.test(profile)) {
                blockSizes.forEach(bs -> permutations.add(new FioPermutation(profile, bs)));
            } else {
                permutations.add(new FioPermutation(profile, BlockSize.NATIVE));
            }
        }
        return List.copyOf(permutations);
    }
}
