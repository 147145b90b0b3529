package dev.vmbench.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void environmentNamesFollowTheKey() {
        assertThat(BenchProperties.RUNTIME.env()).isEqualTo("VMBENCH_RUNTIME");
        assertThat(BenchProperties.EMBEDDED_FAULTS.env()).isEqualTo("VMBENCH_EMBEDDED_FAULTS");
        assertThat(BenchProperties.POOL.env()).isEqualTo("VMBENCH_POOL");
    }
}
