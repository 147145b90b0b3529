package dev.vmbench.cluster;

import dev.vmbench.matrix.VmGroupSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels on everything vmbench creates: which tool, which run, which group, and the group's
 * dimensions, so leftovers can be found and deleted by label.
 */
public final class Labels {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "vmbench";
    public static final String RUN = "vmbench.dev/run";
    public static final String GROUP = "vmbench.dev/group";
    public static final String POOL = "vmbench.dev/pool";
    public static final String VM_SIZE = "vmbench.dev/vm-size";
    public static final String PVC_SIZE = "vmbench.dev/pvc-size";
    /** On a group's pod baseline ({@code pod}): its pod, PVC and Secret. */
    public static final String BASELINE = "vmbench.dev/baseline";

    private Labels() {
    }

    /** Labels of one group's resources. */
    public static Map<String, String> of(String runId, VmGroupSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED_BY, MANAGER);
        labels.put(RUN, runId);
        labels.put(GROUP, spec.hash());
        labels.put(POOL, value(spec.pool()));
        labels.put(VM_SIZE, value(spec.vmSize().name()));
        labels.put(PVC_SIZE, value(spec.pvcSize()));
        return labels;
    }

    /** A label value: at most 63 of {@code [A-Za-z0-9._-]}, starting and ending alphanumeric. */
    static String value(String text) {
        String cleaned = text.replaceAll("[^A-Za-z0-9._-]", "-");
        if (cleaned.length() > 63) {
            cleaned = cleaned.substring(0, 63);
        }
        return cleaned.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
    }
}
