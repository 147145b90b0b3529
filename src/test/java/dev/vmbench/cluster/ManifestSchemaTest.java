package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vmbench.Schemas;
import dev.vmbench.config.BenchConfig;
import dev.vmbench.guest.SshIdentity;
import dev.vmbench.matrix.VmGroupSpec;
import dev.vmbench.matrix.VmSize;
import dev.vmbench.template.Templates;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every manifest the product renders, for every VM size and both volume modes, against the real schemas. */
class ManifestSchemaTest {

    private static final SshIdentity IDENTITY = SshIdentity.generate();

    private static VmGroupProvisioner.Rendered render(String size, String volumeMode) {
        BenchConfig config = BenchConfig.from(key -> Optional.ofNullable(Map.of("pool", "ocs-storagecluster-ceph-rbd",
                "vmbench.volumeMode", volumeMode, "vmbench.rootStorageClass", "ocs-virt").get(key)), name -> null,
                List.of());
        VmGroupProvisioner provisioner = new VmGroupProvisioner(null, null, config, Templates.in(Path.of("templates")),
                null, IDENTITY, "20261123-081549-24e0", null);
        return provisioner.render(new VmGroupSpec("ocs-storagecluster-ceph-rbd", VmSize.parse(size), "50Gi", 4), 3);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"small,Filesystem", "medium,Block", "large,Filesystem", "xlarge,Block", "3x6Gi,Filesystem"})
    void theVirtualMachineValidatesAndCarriesTheStorageSettings(String size, String volumeMode) {
        VmGroupProvisioner.Rendered vm = render(size, volumeMode);

        assertThat(Schemas.violations(Schemas.VIRTUAL_MACHINE, vm.virtualMachine())).isEmpty();
        JsonNode manifest = Schemas.yaml(vm.virtualMachine());
        JsonNode template = manifest.at("/spec/template/spec");
        assertThat(manifest.at("/spec/runStrategy").asText()).isEqualTo("Always");
        assertThat(template.at("/domain/ioThreadsPolicy").asText()).isEqualTo("auto");
        assertThat(template.at("/domain/devices/blockMultiQueue").asBoolean()).isTrue();
        assertThat(template.at("/domain/devices/logSerialConsole").asBoolean()).isTrue();
        assertThat(template.at("/domain/devices/disks/1/serial").asText()).isEqualTo("vmbench-data");
        assertThat(template.at("/domain/devices/disks/1/dedicatedIOThread").asBoolean()).isTrue();
        assertThat(template.at("/domain/resources/requests")).isEqualTo(template.at("/domain/resources/limits"));
        assertThat(manifest.at("/spec/dataVolumeTemplates/0/spec/sourceRef/name").asText()).isEqualTo("fedora");
        assertThat(manifest.at("/spec/dataVolumeTemplates/0/spec/storage/storageClassName").asText()).isEqualTo("ocs-virt");
        assertThat(manifest.at("/metadata/labels/vmbench.dev~1run").asText()).isEqualTo("20261123-081549-24e0");
        assertThat(manifest.at("/metadata/name").asText()).hasSizeLessThanOrEqualTo(63)
                .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").endsWith("-3");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"small"})
    void theSchemaCheckCatchesAFieldKubeVirtDoesNotKnow(String size) {
        String misspelt = render(size, "Block").virtualMachine().replace("blockMultiQueue:", "blockMultiQueues:");

        assertThat(Schemas.violations(Schemas.VIRTUAL_MACHINE, misspelt)).singleElement().asString()
                .contains("blockMultiQueues");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"Filesystem", "Block"})
    void theDataVolumeTemplateValidatesAsADataVolume(String volumeMode) {
        JsonNode template = Schemas.yaml(render("small", volumeMode).virtualMachine()).at("/spec/dataVolumeTemplates/0");
        String dataVolume = "apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\n"
                + Serialization.asYaml(template).replaceFirst("^---\n", "");

        assertThat(Schemas.violations(Schemas.DATA_VOLUME, dataVolume)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"Filesystem", "Block"})
    void theDataDiskIsAPvcOfThePoolUnderTest(String volumeMode) {
        PersistentVolumeClaim pvc = Serialization.unmarshal(render("medium", volumeMode).dataDisk(),
                PersistentVolumeClaim.class);

        assertThat(pvc.getAdditionalProperties()).isEmpty();
        assertThat(pvc.getSpec().getAdditionalProperties()).isEmpty();
        assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("ocs-storagecluster-ceph-rbd");
        assertThat(pvc.getSpec().getVolumeMode()).isEqualTo(volumeMode);
        assertThat(pvc.getSpec().getResources().getRequests()).containsEntry("storage", new Quantity("50Gi"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"small"})
    void cloudInitCarriesTheKeysTheScriptAndTheDiskSerial(String size) throws Exception {
        VmGroupProvisioner.Rendered vm = render(size, "Filesystem");
        Secret secret = Serialization.unmarshal(vm.secret(), Secret.class);
        String userData = new String(Base64.getDecoder().decode(secret.getData().get("userdata")), StandardCharsets.UTF_8);

        assertThat(userData).startsWith("#cloud-config\n").contains("VMBENCH_DATA_SERIAL=vmbench-data")
                .contains("[/usr/local/bin/vmbench-guest, prepare-disk, \"vmbench-data\"]");
        JsonNode cloudConfig = Schemas.yaml(userData);
        assertThat(cloudConfig.at("/users/0/ssh_authorized_keys/0").asText()).isEqualTo(IDENTITY.authorizedKey());
        KeyPair host = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("host"),
                new ByteArrayInputStream(cloudConfig.at("/ssh_keys/ed25519_private").asText()
                        .getBytes(StandardCharsets.US_ASCII)), null).iterator().next();
        assertThat(KeyUtils.compareKeys(host.getPublic(), vm.hostKey().publicKey())).isTrue();
        assertThat(cloudConfig.at("/ssh_keys/ed25519_public").asText()).isEqualTo(vm.hostKey().openSshPublic());
        assertThat(Base64.getDecoder().decode(cloudConfig.at("/write_files/0/content").asText()))
                .isEqualTo(Files.readAllBytes(Path.of("templates/vmbench-guest")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"small"})
    void theRecordedSecretHoldsNoSecretData(String size) {
        VmGroupProvisioner.Rendered vm = render(size, "Filesystem");
        String userData = Serialization.unmarshal(vm.secret(), Secret.class).getData().get("userdata");

        assertThat(vm.redactedSecret()).contains("userdata: REDACTED").doesNotContain(userData)
                .doesNotContain("PRIVATE KEY");
        assertThat(vm.hostKey().toString()).startsWith("HostKey[SHA256:").doesNotContain("PRIVATE");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"VirtualMachineSnapshot," + dev.vmbench.Schemas.VM_SNAPSHOT,
        "VirtualMachineRestore," + dev.vmbench.Schemas.VM_RESTORE, "DataVolume," + dev.vmbench.Schemas.DATA_VOLUME,
        "VirtualMachineInstanceMigration," + dev.vmbench.Schemas.MIGRATION})
    void theCapabilityChecksManifestsValidate(String kind, String schema) {
        Map<String, String> labels = Labels.of("20261123-081549-24e0", new VmGroupSpec("ocs-storagecluster-ceph-rbd",
                VmSize.parse("small"), "50Gi", 1));
        String manifest = CapabilityProbe.manifests(Templates.in(Path.of("templates")), "vmbench",
                "vmb-4e0-small-x1-abc-0", "vmb-4e0-small-x1-abc-0-data", "ocs-storagecluster-ceph-rbd", labels).get(kind);

        assertThat(Schemas.violations(schema, manifest)).as(manifest).isEmpty();
        assertThat(Schemas.yaml(manifest).path("kind").asText()).isEqualTo(kind);
        assertThat(Schemas.yaml(manifest).at("/metadata/labels/vmbench.dev~1run").asText())
                .isEqualTo("20261123-081549-24e0");
    }

    @org.junit.jupiter.api.Test
    void theSchemaCheckCatchesAFieldKubeVirtDoesNotKnowInASnapshot() {
        String manifest = CapabilityProbe.manifests(Templates.in(Path.of("templates")), "vmbench", "vm", "vm-data",
                "pool", Map.of()).get("VirtualMachineSnapshot").replace("failureDeadline:", "failureDeadlines:");

        assertThat(Schemas.violations(dev.vmbench.Schemas.VM_SNAPSHOT, manifest)).isNotEmpty();
    }
}
