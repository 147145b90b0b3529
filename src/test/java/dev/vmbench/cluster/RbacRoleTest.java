package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RbacRoleTest {

    @Test
    void theDocumentedRoleIsExactlyWhatPreflightChecks() throws IOException {
        Role role = Serialization.unmarshal(Files.readString(Path.of("docs/vmbench-role.yaml")), Role.class);

        Set<String> documented = new TreeSet<>();
        for (PolicyRule rule : role.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    rule.getVerbs().forEach(verb -> documented.add(group + " " + resource + " " + verb));
                }
            }
        }
        Set<String> checked = new TreeSet<>();
        Permissions.REQUIRED.forEach(rule -> rule.verbs().forEach(verb ->
                checked.add(rule.group() + " " + rule.resourceName() + " " + verb)));

        assertThat(role.getKind()).isEqualTo("Role");
        assertThat(documented).isEqualTo(checked);
    }
}
