package dev.vmbench.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;

/**
 * KubeVirt's VirtualMachine validating webhook ({@code virtualmachine-validator.kubevirt.io}) for what a snapshot or a
 * restore locks, as {@code validateSnapshotStatus} and {@code validateRestoreStatus} in
 * {@code pkg/virt-api/webhooks/validating-webhook/admitters/vms-admitter.go} decide: while
 * {@code status.snapshotInProgress} is set no spec change is admitted; while {@code status.restoreInProgress} is set a
 * spec change is admitted only if the run strategy stays Halted.
 */
final class VmAdmission {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DENIED = "admission webhook \"virtualmachine-validator.kubevirt.io\" denied the "
            + "request: ";

    private VmAdmission() {
    }

    /**
     * The webhook's denial of an update of {@code stored} (the VM as stored now) by a PUT of a whole VM or a JSON or
     * merge patch, or empty when it is admitted.
     */
    static Optional<String> denial(JsonNode stored, String method, String contentType, String body) {
        JsonNode status = stored.path("status");
        String restore = status.path("restoreInProgress").asText("");
        String snapshot = status.path("snapshotInProgress").asText("");
        if (restore.isEmpty() && snapshot.isEmpty()) {
            return Optional.empty();
        }
        Update update;
        try {
            update = Update.of(stored.path("spec"), method, contentType, JSON.readTree(body));
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!update.changesSpec()) {
            return Optional.empty();
        }
        if (!snapshot.isEmpty()) {
            return Optional.of(DENIED + "Cannot update VM spec until snapshot \"" + snapshot + "\" completes");
        }
        if (!"Halted".equals(update.runStrategy())) {
            return Optional.of(DENIED + "Cannot start VM until restore \"" + restore + "\" completes");
        }
        return Optional.empty();
    }

    /** What an update does to a VM's spec: whether it changes it, and the run strategy after it. */
    private record Update(boolean changesSpec, String runStrategy) {

        static Update of(JsonNode spec, String method, String contentType, JsonNode body) {
            String was = spec.path("runStrategy").asText(spec.path("running").asBoolean(false) ? "Always" : "Halted");
            if ("PUT".equals(method)) {
                JsonNode next = body.path("spec");
                return new Update(!next.equals(spec), next.path("runStrategy").asText(was));
            }
            if (contentType != null && contentType.contains("json-patch") && body.isArray()) {
                boolean changes = false;
                String strategy = was;
                for (JsonNode op : body) {
                    String path = op.path("path").asText();
                    if (!path.startsWith("/spec")) {
                        continue;
                    }
                    changes |= !op.path("op").asText().equals("test");
                    if (path.equals("/spec/runStrategy") && op.has("value")) {
                        strategy = op.path("value").asText();
                    }
                }
                return new Update(changes, strategy);
            }
            // a merge or strategic merge patch: whatever it says under spec
            JsonNode next = body.path("spec");
            return new Update(!next.isMissingNode() && !next.isEmpty(), next.path("runStrategy").asText(was));
        }
    }
}
