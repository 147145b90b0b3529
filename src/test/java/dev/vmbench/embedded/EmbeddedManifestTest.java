package dev.vmbench.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.Schemas;
import org.junit.jupiter.api.Test;

class EmbeddedManifestTest {

    @Test
    void theSeededDataSourceValidates() {
        assertThat(Schemas.violations(Schemas.DATA_SOURCE,
                EmbeddedCluster.dataSourceManifest("openshift-virtualization-os-images", "fedora"))).isEmpty();
    }
}
