package dev.vmbench.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchPropertiesTest {

    @Test
    void theReadmeTableListsEveryKeyWithItsEnvironmentName() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (BenchProperties.Key key : BenchProperties.ALL) {
            String env = key == BenchProperties.THRESHOLD ? "VMBENCH_THRESHOLD_<KEY>" : key.env();
            assertThat(readme).as(key.name()).contains("| `" + key.name() + "` | `" + env + "` |");
        }
    }

    @Test
    void theReadmeNamesEveryFaultTheEmbeddedClusterActsOut() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        for (dev.vmbench.embedded.Fault fault : dev.vmbench.embedded.Fault.values()) {
            assertThat(readme).contains("`" + fault.spelling() + "`");
        }
    }

    @Test
    void aMisspeltSettingIsRefusedWithTheNearestKnownOne() {
        assertThatThrownBy(() -> BenchProperties.requireKnown(List.of("java.home", "vmbench.runtim"), List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Setting [vmbench.runtim] is not one vmbench reads, so it would be ignored. Fix: remove "
                        + "it, or use vmbench.runtime if that is what you meant (every setting is in the README's "
                        + "Settings table).");
        assertThatThrownBy(() -> BenchProperties.requireKnown(List.of("VMBENCH_THRESHOLD_MAX_P99"),
                List.of("max-clat-p99")))
                .hasMessageStartingWith("Setting [VMBENCH_THRESHOLD_MAX_P99] is not one vmbench reads, so it would be "
                        + "ignored. Fix: remove it, or use VMBENCH_THRESHOLD_MAX_CLAT_P99 if");
    }

    @Test
    void everyKnownSettingAndUnrelatedNamesPass() {
        List<String> given = new java.util.ArrayList<>(List.of("PATH", "pool", "vmbench.pool", "VMBENCH_POOL",
                "vmbench.threshold.min-iops", "VMBENCH_THRESHOLD_MIN_IOPS"));
        BenchProperties.ALL.stream().filter(k -> k != BenchProperties.THRESHOLD).forEach(k -> {
            given.add(k.name());
            given.add(k.env());
        });
        assertThatCode(() -> BenchProperties.requireKnown(given, List.of("min-iops"))).doesNotThrowAnyException();
    }

    @Test
    void environmentNamesFollowTheKey() {
        assertThat(BenchProperties.RUNTIME.env()).isEqualTo("VMBENCH_RUNTIME");
        assertThat(BenchProperties.EMBEDDED_FAULTS.env()).isEqualTo("VMBENCH_EMBEDDED_FAULTS");
        assertThat(BenchProperties.POOL.env()).isEqualTo("VMBENCH_POOL");
    }
}
