package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmbench.Schemas;
import dev.vmbench.config.BenchConfig;
import dev.vmbench.guest.SshIdentity;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import dev.vmbench.template.Templates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The user data vmbench renders validates against cloud-init's own #cloud-config schema, as `cloud-init schema` would. */
class CloudInitSchemaTest {

    private static String userData() {
        BenchConfig config = BenchConfig.from(key -> Optional.ofNullable(Map.of("pool", "ocs-storagecluster-ceph-rbd")
                .get(key)), name -> null, List.of());
        VmGroupProvisioner provisioner = new VmGroupProvisioner(null, null, config, Templates.in(Path.of("templates")),
                null, SshIdentity.generate(), "20261123-081549-24e0", null);
        String secret = provisioner.render(new VmGroupSpec("ocs-storagecluster-ceph-rbd", VmSize.parse("medium"),
                "50Gi", 1), 0).secret();
        String b64 = Schemas.yaml(secret).at("/data/userdata").asText();
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    @Test
    void theRenderedUserDataIsValidCloudConfig() {
        String userData = userData();

        assertThat(userData).startsWith("#cloud-config\n");
        assertThat(Schemas.violations(Schemas.CLOUD_CONFIG, userData)).isEmpty();
    }

    @Test
    void theSchemaCatchesWhatCloudInitWouldReject() {
        // the same user data with a type cloud-init refuses (lock_passwd must be a boolean) and an unknown module key
        String broken = userData().replace("lock_passwd: true", "lock_passwd: \"yes\"")
                .replace("ssh_pwauth: false", "ssh_pwauth: false\nruncmds: []");

        assertThat(Schemas.violations(Schemas.CLOUD_CONFIG, broken)).isNotEmpty()
                .anyMatch(v -> v.contains("lock_passwd"));
    }
}
