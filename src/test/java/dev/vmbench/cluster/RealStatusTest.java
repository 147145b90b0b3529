package dev.vmbench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vmbench.cluster.ObservedState.Event;
import dev.vmbench.cluster.ObservedState.Verdict;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Objects copied from real clusters ({@code src/test/resources/real-status}, sources in its README): each read as its
 * {@code # state:} line says, by the reading vmbench waits with ({@link ObservedState}). Where vmbench's verdict is
 * not the state's own word, the case says why it deliberately differs.
 */
class RealStatusTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static Stream<Arguments> fixtures() {
        return Stream.of(
                Arguments.of("dv-importinprogress-1.yaml", "DataVolume", Verdict.WAITING, "ImportInProgress 67.60%",
                        "transient-wait"),
                Arguments.of("dv-nostatus-errclaimnotvalid-1.describe.txt", "DataVolume", Verdict.FAILED,
                        "ErrClaimNotValid: DataVolume.storage spec is missing accessMode", "terminal-fail"),
                Arguments.of("dv-succeeded-1-networkclone.yaml", "DataVolume", Verdict.READY, "Succeeded", "ready"),
                // stuck: CSI clones report no progress, so no stall can be seen; the wait's deadline ends it
                Arguments.of("event-csicloneinprogress-1.txt", "DataVolume", Verdict.WAITING, "Clone Pending",
                        "stuck"),
                // early warnings CDI recovers from: a phase, not an event, decides
                Arguments.of("event-importfailed-failedscheduling-1.txt", "DataVolume", Verdict.WAITING,
                        "ImportFailed", "unclear"),
                Arguments.of("event-incompatiblevolumemodes-1.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "IncompatibleVolumeModes", "informational"),
                // vmbench gives a provisioning failure vmbench.transientGrace (provisioners retry), then fails with it
                Arguments.of("event-provisioningfailed-1.txt", "PersistentVolumeClaim", Verdict.GRACE,
                        "ProvisioningFailed: failed to provision volume with StorageClass \"do-block-storage\"",
                        "terminal-fail"),
                Arguments.of("pvc-bound-1-cdiclone.yaml", "PersistentVolumeClaim", Verdict.READY, "Bound", "ready"),
                Arguments.of("pvc-filesystemresizepending-1.yaml", "PersistentVolumeClaim", Verdict.WAITING,
                        "FileSystemResizePending", "transient-wait"),
                Arguments.of("pvc-pending-cdipopulator-1.describe.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "Pending", "transient-wait"),
                Arguments.of("pvc-pending-wffc-1.describe.txt", "PersistentVolumeClaim", Verdict.WAITING,
                        "WaitForFirstConsumer", "transient-wait"),
                // KubeVirt keeps retrying: vmbench gives it vmbench.transientGrace, then fails naming the scheduler
                Arguments.of("vm-errorunschedulable-1.yaml", "VirtualMachine", Verdict.GRACE,
                        "ErrorUnschedulable", "terminal-fail"),
                Arguments.of("vm-provisioning-1.yaml", "VirtualMachine", Verdict.WAITING, "Provisioning",
                        "transient-wait"),
                Arguments.of("vm-running-1.yaml", "VirtualMachine", Verdict.READY, "Running", "ready"),
                Arguments.of("vm-stopped-1.yaml", "VirtualMachine", Verdict.STOPPED, "start it", "ready-as-stopped"),
                Arguments.of("vmi-migrated-1-migrationstate.describe.txt", "VirtualMachineInstance", Verdict.READY,
                        "Running", "ready"),
                // disguised: nothing will ever say it failed, so only the migration check's deadline ends the wait
                Arguments.of("vmi-migrationstate-stale-1.yaml", "VirtualMachineInstance", Verdict.WAITING,
                        "a migration in flight", "terminal-fail"),
                Arguments.of("vmi-running-1.yaml", "VirtualMachineInstance", Verdict.READY, "Running", "ready"),
                Arguments.of("vmi-scheduling-unschedulable-1.yaml", "VirtualMachineInstance", Verdict.GRACE,
                        "Unschedulable", "transient-wait"),
                Arguments.of("vmim-failed-1.yaml", "VirtualMachineInstanceMigration", Verdict.FAILED, "Failed",
                        "terminal-fail"),
                Arguments.of("vmrestore-complete-1.describe.txt", "VirtualMachineRestore", Verdict.READY,
                        "complete", "ready"),
                Arguments.of("vmsnapshot-succeeded-1.describe.txt", "VirtualMachineSnapshot", Verdict.READY,
                        "ready to use", "ready"),
                Arguments.of("vmsnapshot-succeeded-2-docs.yaml", "VirtualMachineSnapshot", Verdict.READY,
                        "ready to use", "ready"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void eachRealObjectIsReadAsItsStateLineSays(String file, String kind, Verdict verdict, String why, String state)
            throws IOException {
        String text = read(file);
        assertThat(stateLine(text)).as("the fixture's own state").startsWith(state);

        ObservedState seen = ObservedState.of(kind, object(file, text), events(text));

        assertThat(seen.verdict()).as(seen.why()).isEqualTo(verdict);
        assertThat(seen.why()).contains(why);
    }

    @Test
    void aCloneThatFellBackToACopyIsReadFromItsPvcWithTheReason() throws IOException {
        // ready-but-degraded: CDI's fallback is on the target PVC, which is where vmbench reads it
        PersistentVolumeClaim claim = Serialization.jsonMapper().convertValue(object("pvc-clonefallback-copy-1.yaml",
                read("pvc-clonefallback-copy-1.yaml")), PersistentVolumeClaim.class);

        CloneStrategy strategy = CloneStrategy.of(claim, null);

        assertThat(strategy.details()).containsExactly(Map.entry("strategy", "copy"),
                Map.entry("fallback", "The volume modes of source and target are incompatible"));
    }

    @Test
    void everyFixtureIsACase() throws IOException {
        List<String> cases = new ArrayList<>(fixtures().map(a -> a.get()[0].toString()).toList());
        cases.add("pvc-clonefallback-copy-1.yaml");
        String readme = read("README.md");
        List<String> listed = readme.lines().filter(l -> l.startsWith("| `")).map(l -> l.substring(3,
                l.indexOf('`', 3))).toList();
        assertThat(cases).containsExactlyInAnyOrderElementsOf(listed);
    }

    @Test
    void aBoundClaimWithAnOldProvisioningFailureIsReady() {
        // status wins over event history: the provisioner failed once, then bound it
        ObservedState seen = ObservedState.of("PersistentVolumeClaim", Map.of("status", Map.of("phase", "Bound")),
                List.of(new Event("Warning", "ProvisioningFailed", "rpc error: code = ResourceExhausted")));

        assertThat(seen.verdict()).isEqualTo(Verdict.READY);
    }

    @Test
    void aSnapshotInProgressThatNoLongerProgressesHasFailed() {
        ObservedState seen = ObservedState.of("VirtualMachineSnapshot", Map.of("status", Map.of("phase", "InProgress",
                "conditions", List.of(Map.of("type", "Progressing", "status", "False", "reason",
                        "Source not locked")))), List.of());

        assertThat(seen).isEqualTo(new ObservedState(Verdict.FAILED, "InProgress, Progressing False: Source not "
                + "locked"));
    }

    // --- reading the fixtures --------------------------------------------------------------------------------

    private static String read(String file) throws IOException {
        try (InputStream in = RealStatusTest.class.getResourceAsStream("/real-status/" + file)) {
            assertThat(in).as(file).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String stateLine(String text) {
        return text.lines().filter(l -> l.startsWith("# state: ")).findFirst().orElse("").substring(9);
    }

    /**
     * A YAML or JSON object (the first of a list), or the fields of {@code kubectl describe} text; a fragment of a
     * status alone (no metadata, spec or status of its own) is read as the status.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String file, String text) throws IOException {
        if (file.startsWith("event-")) {
            return Map.of();
        }
        Map<String, Object> object;
        if (file.endsWith(".yaml")) {
            Object parsed = YAML.readValue(text, Object.class);
            object = (Map<String, Object>) (parsed instanceof List<?> l ? l.get(0) : parsed);
        } else {
            object = describe(text);
        }
        return object.keySet().stream().anyMatch(k -> List.of("metadata", "spec", "status").contains(k)) ? object
                : Map.of("status", object);
    }

    /**
     * {@code kubectl describe} text as an object: nested by indentation, keys in camel case ("Ready To Use" →
     * readyToUse), a key's bare lines as a list, Conditions as a list of maps (a condition starts again where a key
     * repeats). A PVC's top-level "Status: Pending" is its phase. The Events table is read apart.
     */
    private static Map<String, Object> describe(String text) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object[]> stack = new ArrayList<>(); // {indent, container}
        stack.add(new Object[] {-1, root});
        for (String line : text.lines().toList()) {
            if (line.startsWith("#") || line.isBlank() || line.startsWith("Events:")) {
                if (line.startsWith("Events:")) {
                    break;
                }
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            String body = line.strip();
            while ((int) stack.get(stack.size() - 1)[0] >= indent) {
                stack.remove(stack.size() - 1);
            }
            Object parent = stack.get(stack.size() - 1)[1];
            int colon = body.indexOf(':');
            if (colon < 0 || body.startsWith("(")) {
                if (parent instanceof List<?> items) {
                    @SuppressWarnings("unchecked")
                    List<Object> values = (List<Object>) items;
                    values.add(body);
                }
                continue;
            }
            String key = camel(body.substring(0, colon));
            String value = body.substring(colon + 1).strip();
            if (parent instanceof ConditionList conditions) {
                if (conditions.isEmpty() || conditions.get(conditions.size() - 1).containsKey(key)) {
                    conditions.add(new LinkedHashMap<>());
                }
                conditions.get(conditions.size() - 1).put(key, value);
                continue;
            }
            if (!(parent instanceof Map<?, ?> map)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> into = (Map<String, Object>) map;
            if (!value.isEmpty()) {
                into.put(key, scalar(value));
                continue;
            }
            Object child = key.equals("conditions") ? new ConditionList() : key.equals("indications")
                    ? new ArrayList<>() : new LinkedHashMap<String, Object>();
            into.put(key, child);
            stack.add(new Object[] {indent, child});
        }
        if (root.get("status") instanceof String phase) {
            root.put("status", Map.of("phase", phase));
        }
        return root;
    }

    private static final class ConditionList extends ArrayList<Map<String, Object>> {
    }

    private static Object scalar(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> value;
        };
    }

    private static String camel(String words) {
        StringBuilder out = new StringBuilder();
        for (String word : words.strip().split("\\s+")) {
            out.append(out.length() == 0 ? word.toLowerCase(Locale.ROOT) : word.substring(0, 1).toUpperCase(
                    Locale.ROOT) + word.substring(1));
        }
        return out.toString();
    }

    /** The events of a describe's Events table or of a {@code kubectl get events} table, by the header's columns. */
    private static List<Event> events(String text) {
        List<String> lines = text.lines().filter(l -> !l.startsWith("#")).toList();
        for (int i = 0; i < lines.size(); i++) {
            String header = lines.get(i).toUpperCase(Locale.ROOT);
            int type = header.indexOf("TYPE");
            if (type < 0 || !header.contains("REASON") || !header.contains("MESSAGE")) {
                continue;
            }
            List<Event> events = new ArrayList<>();
            for (String row : lines.subList(i + 1, lines.size())) {
                if (row.isBlank() || row.strip().startsWith("----")) {
                    continue;
                }
                // cells are at least two spaces apart (a header's "LAST SEEN" is one column)
                String[] columns = row.strip().split("\\s{2,}");
                int at = header.substring(0, type).strip().isEmpty() ? 0 : indexOfColumn(header, type);
                events.add(new Event(columns[at], columns.length > at + 1 ? columns[at + 1] : "",
                        columns[columns.length - 1]));
            }
            return events;
        }
        return List.of();
    }

    /** Which column (counting from 0) starts at {@code position} of the header. */
    private static int indexOfColumn(String header, int position) {
        return header.substring(0, position).strip().split("\\s{2,}").length;
    }
}
