package dev.vmbench.matrix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatrixTest {

    @Test
    void groupsAreEveryPoolSizePvcAndConcurrencyInReadingOrder() {
        List<VmGroupSpec> groups = Matrix.groups(List.of("gold", "silver"), List.of(VmSize.parse("small"),
                VmSize.parse("4x8Gi")), List.of("50Gi"), List.of(1, 4));

        assertThat(groups).extracting(VmGroupSpec::toString).containsExactly(
                "gold small 50Gi x1", "gold small 50Gi x4", "gold 4x8Gi 50Gi x1", "gold 4x8Gi 50Gi x4",
                "silver small 50Gi x1", "silver small 50Gi x4", "silver 4x8Gi 50Gi x1", "silver 4x8Gi 50Gi x4");
    }

    @Test
    void fixedSizeProfilesRunOnceAsNative() {
        List<FioPermutation> permutations = Matrix.permutations(List.of("random-rw", "db-oltp"),
                List.of(BlockSize.parse("4k"), BlockSize.parse("1m")), profile -> profile.equals("random-rw"));

        assertThat(permutations).extracting(FioPermutation::toString)
                .containsExactly("random-rw 4k", "random-rw 1m", "db-oltp native");
        assertThat(permutations).extracting(FioPermutation::slug)
                .containsExactly("random-rw-4k", "random-rw-1m", "db-oltp-native");
    }

    @Test
    void groupHashIsStableShortAndDistinct() {
        VmGroupSpec a = new VmGroupSpec("gold", VmSize.parse("small"), "50Gi", 1);
        VmGroupSpec b = new VmGroupSpec("gold", VmSize.parse("small"), "50Gi", 2);

        assertThat(a.hash()).isEqualTo(new VmGroupSpec("gold", VmSize.parse("small"), "50Gi", 1).hash())
                .hasSize(6).matches("[0-9a-f]+");
        assertThat(Set.of(a.hash(), b.hash())).hasSize(2);
        assertThat(a.slug()).isEqualTo("small-50gi-x1-" + a.hash());
    }

    @ParameterizedTest
    @CsvSource({"512,512", "4k,4k", "4K,4k", "64KiB,64k", "1m,1m", "1024k,1m", "native,native"})
    void blockSizesReadAndPrintTheWayFioDoes(String written, String printed) {
        assertThat(BlockSize.parse(written).toString()).isEqualTo(printed);
    }

    @Test
    void badBlockSizesAndVmSizesSayTheRule() {
        assertThatThrownBy(() -> BlockSize.parse("100")).hasMessage("is not a block size: use a multiple of 512 "
                + "bytes up to 64m, written like 4k, 64k or 1m");
        assertThatThrownBy(() -> VmSize.parse("0x4Gi")).hasMessage("is not a VM size: use one of small, medium, "
                + "large, xlarge or CPUSxMEMORY like 4x8Gi");
        assertThat(VmSize.parse("large")).as("the bash suite's large").isEqualTo(new VmSize("large", 8, "16Gi"));
        assertThat(VmSize.parse("16x64Gi")).isEqualTo(new VmSize("16x64Gi", 16, "64Gi"));
    }
}
