package dev.vmbench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vmbench.cluster.ObservedState;
import dev.vmbench.cluster.RealObjects;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * Whether the embedded cluster writes objects shaped as real clusters write them: for each real object of a state
 * the embedded cluster also reaches, the embedded one (as a run's trace recorded it) is read to the same verdict, has
 * every top-level status field and every condition (type, status, reason) of the real one — but for those named
 * here with the reason the embedded cluster cannot have them. Checked on the trace of StorageCapabilitiesTest's run of
 * every check.
 */
final class EmbeddedShape {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddedShape() {
    }

    /** A real object, the embedded one of the same kind and state, and what the embedded one lacks, with why. */
    private record Pair(String file, String kind, Predicate<Map<String, Object>> state, Map<String, String> lacks) {
    }

    /** Asserts that the objects in {@code traceFile} have the shape of the real ones in the same state. */
    static void assertLikeRealObjects(Path traceFile) throws IOException {
        List<Map<String, Object>> trace = read(traceFile);

        List<Pair> pairs = List.of(
                new Pair("vm-running-1.yaml", "VirtualMachine", s -> Boolean.TRUE.equals(s.get("ready")), Map.of(
                        "volumeSnapshotStatuses", "kept by the snapshot controller per volume; vmbench never reads it",
                        "condition AgentConnected True", "the guests run no qemu-guest-agent",
                        "condition LiveMigratable False DisksNotLiveMigratable",
                        "the embedded VM's disks are ReadWriteMany: it is migratable")),
                new Pair("vmi-running-1.yaml", "VirtualMachineInstance", s -> "Running".equals(s.get("phase"))
                        && s.get("migrationState") == null, Map.ofEntries(
                        Map.entry("activePods", "no kubelet runs the launcher pod's UID"),
                        Map.entry("guestOSInfo", "no qemu-guest-agent reports the guest's OS"),
                        Map.entry("launcherContainerImageVersion", "no launcher image"),
                        Map.entry("migrationMethod", "written with the first migration"),
                        Map.entry("migrationTransport", "written with the first migration"),
                        Map.entry("phaseTransitionTimestamps", "vmbench reads the phase, not its history"),
                        Map.entry("qosClass", "no pod QoS"),
                        Map.entry("runtimeUser", "no launcher process user"),
                        Map.entry("virtualMachineRevisionName", "no ControllerRevisions"),
                        Map.entry("volumeStatus", "no hotplug or volume status from virt-handler"),
                        Map.entry("condition AgentConnected True", "the guests run no qemu-guest-agent"),
                        Map.entry("condition LiveMigratable False DisksNotLiveMigratable",
                                "the embedded VMI's disks are ReadWriteMany: it is migratable"))),
                new Pair("dv-succeeded-1-networkclone.yaml", "DataVolume", s -> "Succeeded".equals(s.get("phase"))
                        && s.get("conditions") != null, Map.of("claimName", "the claim is the DataVolume's name",
                        "condition Running False Completed", "no clone pod ran to completion")),
                new Pair("pvc-bound-1-cdiclone.yaml", "PersistentVolumeClaim", s -> "Bound".equals(s.get("phase"))
                        && s.get("capacity") != null, Map.of()),
                new Pair("vmsnapshot-succeeded-2-docs.yaml", "VirtualMachineSnapshot", s -> Boolean.TRUE.equals(
                        s.get("readyToUse")), Map.of()),
                new Pair("vmrestore-complete-1.describe.txt", "VirtualMachineRestore", s -> Boolean.TRUE.equals(
                        s.get("complete")), Map.of()),
                new Pair("vmi-migrated-1-migrationstate.describe.txt", "VirtualMachineInstance", s -> Boolean.TRUE
                        .equals(((Map<?, ?>) s.getOrDefault("migrationState", Map.of())).get("completed")), Map.of(
                        "migrationMethod", "not written by the embedded migration controller",
                        "migrationTransport", "not written by the embedded migration controller")));

        List<String> differences = new ArrayList<>();
        for (Pair pair : pairs) {
            Map<String, Object> real = RealObjects.object(pair.file(), RealObjects.read(pair.file()));
            Map<String, Object> embedded = last(trace, pair.kind(), pair.state());
            assertThat(embedded).as("the embedded %s in the state of %s", pair.kind(), pair.file()).isNotNull();
            // then: read to the same verdict
            assertThat(ObservedState.of(pair.kind(), embedded, List.of()).verdict()).as(pair.file())
                    .isEqualTo(ObservedState.of(pair.kind(), real, List.of()).verdict());
            Set<String> missing = new TreeSet<>(shape(status(real)));
            missing.removeAll(shape(status(embedded)));
            missing.removeAll(pair.lacks().keySet());
            missing.forEach(m -> differences.add(pair.file() + ": " + m));
        }
        assertThat(differences).as("what real objects have and the embedded ones lack").isEmpty();
    }

    /** Top-level status fields, and each condition as {@code condition Type Status Reason}. */
    private static Set<String> shape(Map<String, Object> status) {
        Set<String> out = new TreeSet<>(status.keySet());
        if (status.get("conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                Map<?, ?> condition = (Map<?, ?>) c;
                String reason = Objects.toString(condition.get("reason"), "").strip();
                out.add(("condition " + condition.get("type") + " " + condition.get("status") + " " + reason).strip());
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(Map<String, Object> object) {
        return (Map<String, Object>) object.getOrDefault("status", Map.of());
    }

    /** The last recorded state of {@code kind} that {@code state} accepts, as an object. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> last(List<Map<String, Object>> trace, String kind,
            Predicate<Map<String, Object>> state) {
        Map<String, Object> found = null;
        for (Map<String, Object> line : trace) {
            if (kind.equals(line.get("kind")) && !"DELETED".equals(line.get("event"))) {
                Map<String, Object> object = (Map<String, Object>) line.get("object");
                if (object.get("status") instanceof Map<?, ?> && state.test(status(object))) {
                    found = object;
                }
            }
        }
        return found;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> read(Path trace) throws IOException {
        List<Map<String, Object>> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(trace)), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(JSON.readValue(line, Map.class));
            }
        }
        return lines;
    }
}
