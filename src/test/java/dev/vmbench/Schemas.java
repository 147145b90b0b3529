package dev.vmbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Validates manifests against the KubeVirt/CDI JSON schemas copied under src/test/resources/schemas. */
public final class Schemas {

    public static final String VIRTUAL_MACHINE = "kubevirt.io/virtualmachine_v1.json";
    public static final String DATA_VOLUME = "cdi.kubevirt.io/datavolume_v1beta1.json";
    public static final String DATA_SOURCE = "cdi.kubevirt.io/datasource_v1beta1.json";
    public static final String VM_SNAPSHOT = "snapshot.kubevirt.io/virtualmachinesnapshot_v1beta1.json";
    public static final String VM_RESTORE = "snapshot.kubevirt.io/virtualmachinerestore_v1beta1.json";
    public static final String MIGRATION = "kubevirt.io/virtualmachineinstancemigration_v1.json";
    public static final String VOLUME_SNAPSHOT = "snapshot.storage.k8s.io/volumesnapshot_v1.json";
    public static final String VOLUME_SNAPSHOT_CLASS = "snapshot.storage.k8s.io/volumesnapshotclass_v1.json";
    /** cloud-init's own schema for #cloud-config user data (draft-04). */
    public static final String CLOUD_CONFIG = "cloud-init/schema-cloud-config-v1.json";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private static final JsonSchemaFactory DRAFT_4 = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);

    private Schemas() {
    }

    /** Every violation of {@code schema} by the YAML manifest, as {@code $.path: message}; empty if valid. */
    public static List<String> violations(String schema, String yaml) {
        try (InputStream in = Schemas.class.getResourceAsStream("/schemas/" + schema)) {
            JsonSchema jsonSchema = (schema.equals(CLOUD_CONFIG) ? DRAFT_4 : FACTORY).getSchema(in);
            return violations(jsonSchema, YAML.readTree(yaml));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> violations(JsonSchema schema, JsonNode manifest) {
        return schema.validate(manifest).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    public static JsonNode yaml(String text) {
        try {
            return YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
