package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** docs/vmbench-role.yaml grants exactly what Permissions lists (and so what preflight checks). */
class RbacRoleTest {

    @Test
    void theDocumentedRolesAreExactlyWhatPreflightChecks() throws IOException {
        Map<String, Set<String>> documented = new TreeMap<>();
        for (String document : Files.readString(Path.of("docs/vmbench-role.yaml")).split("(?m)^---$")) {
            if (document.strip().lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
                continue;
            }
            HasMetadata object = Serialization.unmarshal(document);
            if (object instanceof io.fabric8.kubernetes.api.model.rbac.RoleBinding binding) {
                // the one binding documented: the VMs' ServiceAccount may clone from the DataSource's namespace
                assertThat(binding.getRoleRef().getName()).isEqualTo("vmbench-datasource");
                assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getKind() + " "
                        + s.getNamespace() + "/" + s.getName()).isEqualTo("ServiceAccount vmbench/default"));
                continue;
            }
            List<PolicyRule> rules = object instanceof Role role ? role.getRules() : ((ClusterRole) object).getRules();
            Set<String> granted = documented.computeIfAbsent(object.getKind() + " " + object.getMetadata().getName(),
                    k -> new TreeSet<>());
            for (PolicyRule rule : rules) {
                for (String group : rule.getApiGroups()) {
                    for (String resource : rule.getResources()) {
                        rule.getVerbs().forEach(verb -> granted.add(group + " " + resource + " " + verb));
                    }
                }
            }
        }
        List<Permissions.Rule> cluster = new ArrayList<>(Permissions.CLUSTER);
        cluster.add(Permissions.CREATE_NAMESPACE);
        List<Permissions.Rule> namespaced = new ArrayList<>(Permissions.REQUIRED);
        namespaced.addAll(Permissions.POD_CONNECTOR);

        // the gate's Roles, and one per optional study: the gate's Role runs no pods and snapshots nothing
        assertThat(documented).isEqualTo(Map.of(
                "Role vmbench", rules(namespaced),
                "Role vmbench-datasource", rules(Permissions.DATA_SOURCE),
                "ClusterRole vmbench", rules(cluster),
                "Role vmbench-pod-baseline", rules(Permissions.POD_BASELINE),
                "Role vmbench-capabilities", rules(Permissions.CAPABILITIES),
                "ClusterRole vmbench-capabilities", rules(Permissions.CAPABILITIES_CLUSTER)));
        assertThat(documented.get("Role vmbench")).noneMatch(rule -> rule.startsWith(" pods create")
                || rule.startsWith(" pods/exec"));
    }

    private static Set<String> rules(List<Permissions.Rule> rules) {
        Set<String> flat = new TreeSet<>();
        rules.forEach(rule -> rule.verbs().forEach(verb -> flat.add(rule.group() + " " + rule.resourceName() + " " + verb)));
        return flat;
    }
}
